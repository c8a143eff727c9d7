// The RBAC the PodPreset tactic needs on a member (pure data; `fedfeat join`
// grants it, tests/integration/tactic-access.test.ts checks every request the
// tactic makes against it). Objects fedfeat applies by name (Server-Side
// Apply: PATCH, which creates with the `create` verb checked on that name)
// are named with resourceNames; only POSTs (the CA Secret, the dry-run pod)
// need create without a name, and those stay inside fedfeat's namespaces.
import { PROBE_NAMESPACE, type TacticAccess } from '../rbac.js';
import { PODPRESET_CRD_NAME, PODPRESET_GROUP, PODPRESET_PLURAL } from './podpreset-api.js';
import { CA_SECRET, MWC_NAME, NAMESPACE, TLS_SECRET, WEBHOOK_NAME } from './render.js';

const WRITE = ['get', 'create', 'patch', 'delete'];

export const PODPRESET_ACCESS: TacticAccess = {
  name: 'podpreset',
  inform: {
    cluster: [
      // Is the webhook configured? (Discovery and the CRD are common reads.)
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get'], resourceNames: [MWC_NAME] },
    ],
    // The end-to-end probe: a dry-run pod the webhook must mark. The certificate Secrets are not read in
    // inform (they hold private keys); the dry run proves the certificate works today.
    namespaced: { [PROBE_NAMESPACE]: [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }] },
  },
  enforce: {
    cluster: [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'patch'], resourceNames: [NAMESPACE, PROBE_NAMESPACE] },
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: WRITE, resourceNames: [PODPRESET_CRD_NAME] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: WRITE, resourceNames: [MWC_NAME] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: WRITE, resourceNames: [`fedfeat:${WEBHOOK_NAME}`] },
      // What the webhook's own ClusterRole grants: RBAC lets fedfeat grant only what it holds (no escalate, no bind).
      // Revert also lists the presets to say which go with the CRD.
      { apiGroups: [PODPRESET_GROUP], resources: [PODPRESET_PLURAL], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ],
    namespaced: {
      [NAMESPACE]: [
        // The CA Secret is created with POST (create-only, so two reconciles never make two CAs).
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch', 'delete'], resourceNames: [CA_SECRET, TLS_SECRET] },
        { apiGroups: [''], resources: ['serviceaccounts', 'services'], verbs: WRITE, resourceNames: [WEBHOOK_NAME] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: WRITE, resourceNames: [WEBHOOK_NAME] },
        { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE, resourceNames: [WEBHOOK_NAME] },
      ],
    },
  },
};
