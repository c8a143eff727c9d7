// The RBAC the kubelet tactic needs on a member (pure data; see
// reconfigurators/rbac.ts). Reading /configz goes through the node proxy;
// changing a kubelet means running the agent pod, which only happens in the
// tactic's own namespace.
import type { TacticAccess } from '../rbac.js';
import { AGENT_NAMESPACE, AGENT_NETWORK_POLICY } from './agent-pod.js';

export const KUBELET_ACCESS: TacticAccess = {
  name: 'kubelet-config',
  inform: {
    // GET /api/v1/nodes/NODE/proxy/configz. RBAC cannot narrow nodes/proxy to a path: it reaches the whole
    // kubelet API of every node (GET only).
    cluster: [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }],
    namespaced: {},
  },
  enforce: {
    cluster: [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'patch'], resourceNames: [AGENT_NAMESPACE] },
      // spec.rollout.drainNodes: cordon and uncordon (node names are not known in advance), list the node's
      // pods (fieldSelector spec.nodeName), evict them through the Eviction API so PodDisruptionBudgets decide.
      // No pod delete outside the tactic's namespace: an eviction is the only way a pod of the member goes.
      { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    ],
    namespaced: {
      [AGENT_NAMESPACE]: [
        // Agent pods are named per node and created with POST; they run privileged (see the README).
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'delete'] },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create', 'patch', 'delete'], resourceNames: [AGENT_NETWORK_POLICY] },
      ],
    },
  },
};
