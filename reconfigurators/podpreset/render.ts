// Everything the PodPreset tactic puts on a member, rendered as objects (pure).
// Applied in this order and removed in reverse; the webhook configuration is
// last in and first out, so the API server never calls a webhook that is not
// there yet or any more.
import { PODPRESET_CRD_NAME, PODPRESET_GROUP, PODPRESET_PLURAL, PODPRESET_VERSION } from './podpreset-api.js';
import type { KubeObject } from '../../kube-client/client.js';
import { PROBE_NAMESPACE } from '../rbac.js';

export const NAMESPACE = 'fedfeat-system';
export const WEBHOOK_NAME = 'podpreset-webhook';
export const TLS_SECRET = 'podpreset-webhook-tls';
/** The CA's key stays in its own Secret: only the controller reads it (to renew the serving cert), never the webhook. */
export const CA_SECRET = 'podpreset-webhook-ca';
export const MWC_NAME = 'fedfeat-podpreset';
export const WEBHOOK_PATH = '/mutate-v1-pod';
export const PROBE_LABEL = 'fedfeat.io/webhook-probe';
export const PROBE_ANNOTATION = 'fedfeat.io/webhook-probe-seen';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'fedfeat', 'app.kubernetes.io/part-of': 'fedfeat-podpreset' };
export const DEFAULT_IMAGE = 'ghcr.io/fedfeat/fedfeat:0.1.0';

export interface RenderOptions {
  /** URL the API server calls instead of the Service (the local federation, as envtest does); undefined = the Service. */
  url?: string;
  image?: string;
  caBundle: string; // base64 PEM
  timeoutSeconds?: number;
}

const meta = (name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({ name, ...(namespace ? { namespace } : {}), labels: { ...MANAGED_BY }, ...extra });

/** The removed API's shape; nested core types are kept as they come (the API server validates pods, not presets). */
export function podPresetCrd(): KubeObject {
  const list = (description: string, required: string[] = []) => ({
    type: 'array', description,
    items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...(required.length ? { required } : {}) },
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: meta(PODPRESET_CRD_NAME, undefined, {
      // *.k8s.io groups are reserved for APIs approved by Kubernetes; the API server takes CRDs there only with this
      // annotation, and a value starting "unapproved" says honestly that this replica is not an approved API.
      annotations: { 'api-approved.kubernetes.io': 'unapproved, fedfeat replica of the PodPreset API removed in Kubernetes 1.20' },
    }),
    spec: {
      group: PODPRESET_GROUP, scope: 'Namespaced',
      names: { plural: PODPRESET_PLURAL, singular: 'podpreset', kind: 'PodPreset', listKind: 'PodPresetList' },
      versions: [{
        name: PODPRESET_VERSION, served: true, storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'PodPreset injects env, envFrom, volumes and volumeMounts into pods of its namespace that its selector matches, when they are created.',
            properties: {
              apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
              spec: {
                type: 'object',
                properties: {
                  selector: {
                    type: 'object', description: 'Label selector over pods; empty selects every pod of the namespace.',
                    // Refuses what LabelSelectorAsSelector would refuse, so one bad preset is caught when it is written
                    // (presets stored before this schema are skipped and reported by the webhook instead).
                    properties: {
                      matchLabels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
                      matchExpressions: {
                        type: 'array', description: 'Label selector requirements, ANDed.',
                        items: {
                          type: 'object', required: ['key', 'operator'],
                          properties: {
                            key: { type: 'string', minLength: 1, maxLength: 317 },
                            operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
                            values: { type: 'array', items: { type: 'string', maxLength: 63 } },
                          },
                          'x-kubernetes-validations': [
                            { rule: "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)", message: 'values must be non-empty when operator is In or NotIn' },
                            { rule: "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0", message: 'values must be empty when operator is Exists or DoesNotExist' },
                          ],
                        },
                      },
                    },
                  },
                  env: list('Environment variables (core/v1 EnvVar) added to every container.', ['name']),
                  envFrom: list('Sources of environment variables (core/v1 EnvFromSource).'),
                  volumes: list('Volumes (core/v1 Volume) added to the pod.', ['name']),
                  volumeMounts: list('Volume mounts (core/v1 VolumeMount) added to every container.', ['name', 'mountPath']),
                },
              },
            },
          },
        },
      }],
    },
  } as KubeObject;
}

/** fedfeat's probe namespace (where the dry-run pod is sent), for members `fedfeat join` did not prepare. */
export function renderProbeNamespace(): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(PROBE_NAMESPACE) };
}

/** The tactic's namespace: applied first, since the certificate Secrets live in it. */
export function renderNamespace(): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(NAMESPACE) };
}

export function renderInstall(o: RenderOptions): KubeObject[] {
  const labels = { 'app.kubernetes.io/name': WEBHOOK_NAME };
  const objs: Array<Record<string, unknown>> = [
    renderNamespace(),
    podPresetCrd(),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(WEBHOOK_NAME, NAMESPACE), automountServiceAccountToken: true },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(`fedfeat:${WEBHOOK_NAME}`),
      rules: [
        // The informer cache of presets; nothing else cluster-wide.
        { apiGroups: [PODPRESET_GROUP], resources: [PODPRESET_PLURAL], verbs: ['get', 'list', 'watch'] },
        // Conflicts are reported as Events on the PodPreset.
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(`fedfeat:${WEBHOOK_NAME}`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `fedfeat:${WEBHOOK_NAME}` },
      subjects: [{ kind: 'ServiceAccount', name: WEBHOOK_NAME, namespace: NAMESPACE }],
    },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(WEBHOOK_NAME, NAMESPACE),
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: { ...labels, ...MANAGED_BY } },
          spec: {
            serviceAccountName: WEBHOOK_NAME,
            priorityClassName: 'system-cluster-critical',
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{
              name: 'webhook', image: o.image ?? DEFAULT_IMAGE,
              args: ['webhook', 'podpreset', '--listen=0.0.0.0:8443', '--tls-dir=/tls'],
              ports: [{ name: 'https', containerPort: 8443 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'https', scheme: 'HTTPS' }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'https', scheme: 'HTTPS' }, periodSeconds: 10 },
              resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              // The kubelet refreshes a mounted Secret within about a minute; the server reloads the files it finds changed.
              volumeMounts: [{ name: 'tls', mountPath: '/tls', readOnly: true }],
            }],
            volumes: [{ name: 'tls', secret: { secretName: TLS_SECRET } }],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(WEBHOOK_NAME, NAMESPACE),
      spec: { minAvailable: 1, selector: { matchLabels: labels } },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta(WEBHOOK_NAME, NAMESPACE),
      spec: { selector: labels, ports: [{ name: 'https', port: 443, targetPort: 'https' }] },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: meta(MWC_NAME),
      webhooks: [{
        name: 'podpreset.settings.fedfeat.io',
        clientConfig: {
          ...(o.url ? { url: `${o.url.replace(/\/+$/, '')}${WEBHOOK_PATH}` } : { service: { namespace: NAMESPACE, name: WEBHOOK_NAME, path: WEBHOOK_PATH, port: 443 } }),
          caBundle: o.caBundle,
        },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        // The control plane's own pods and fedfeat's never wait on this webhook.
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', NAMESPACE] }] },
        // Ignore: the in-tree plugin could never block pod creation, and a webhook outage must not stop
        // a cluster from creating pods (including the webhook's own). Pods created during an outage miss
        // their presets; fedfeat reports the member Degraded meanwhile and repairs the webhook.
        failurePolicy: 'Ignore',
        matchPolicy: 'Equivalent',
        sideEffects: 'NoneOnDryRun', // conflict Events are not recorded for dry runs
        timeoutSeconds: o.timeoutSeconds ?? 5,
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'Never',
      }],
    },
  ];
  return objs as KubeObject[];
}
