// The RBAC the Calico tactic needs on a member (pure data; see
// reconfigurators/rbac.ts): the objects of Calico's manifest, by name. A
// manifest with objects not named here (another Calico version) is refused
// with InsufficientPermissions naming the object; add its names and join again.
import type { TacticAccess } from '../rbac.js';

export const CALICO_NAMESPACE = 'kube-system';
/** The CRDs of Calico's manifest (v3.2x) and the Kubernetes admin network policy CRDs it ships since v3.28. */
export const CALICO_CRDS = [
  'bgpconfigurations', 'bgpfilters', 'bgppeers', 'blockaffinities', 'caliconodestatuses', 'clusterinformations', 'felixconfigurations',
  'globalnetworkpolicies', 'globalnetworksets', 'hostendpoints', 'ipamblocks', 'ipamconfigs', 'ipamhandles', 'ippools', 'ipreservations',
  'kubecontrollersconfigurations', 'networkpolicies', 'networksets', 'tiers',
].map((p) => `${p}.crd.projectcalico.org`).concat(['adminnetworkpolicies.policy.networking.k8s.io', 'baselineadminnetworkpolicies.policy.networking.k8s.io']);
export const CALICO_NAMES = ['calico-node', 'calico-kube-controllers', 'calico-cni-plugin', 'calico-typha', 'calico-config', 'calico-cni-cleanup'];

const WRITE = ['get', 'create', 'patch', 'delete'];

export const CALICO_ACCESS: TacticAccess = {
  name: 'calico',
  // Detection reads DaemonSets and Nodes (common).
  inform: { cluster: [], namespaced: {} },
  enforce: {
    cluster: [
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: WRITE, resourceNames: CALICO_CRDS },
      // Calico's ClusterRoles grant what calico-node needs; `escalate` and `bind` on these names only let fedfeat
      // write and bind them without holding all of it. (A CNI's privileged DaemonSet in kube-system is node root
      // anyway: enforce access for networkpolicy is as strong as installing a CNI is.)
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: [...WRITE, 'escalate', 'bind'], resourceNames: CALICO_NAMES },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings'], verbs: WRITE, resourceNames: CALICO_NAMES },
      // Revert without the manifest finds fedfeat's Calico by label.
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: ['list'] },
    ],
    namespaced: {
      [CALICO_NAMESPACE]: [
        { apiGroups: [''], resources: ['serviceaccounts', 'configmaps', 'services'], verbs: WRITE, resourceNames: CALICO_NAMES },
        { apiGroups: ['apps'], resources: ['daemonsets', 'deployments'], verbs: WRITE, resourceNames: CALICO_NAMES },
        { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE, resourceNames: CALICO_NAMES },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: [...WRITE, 'escalate', 'bind'], resourceNames: CALICO_NAMES },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: WRITE, resourceNames: CALICO_NAMES },
        // The cluster pod CIDR for Calico's pool: the controller-manager's flags, kubeadm's configuration.
        { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['kubeadm-config'] },
        { apiGroups: ['', 'apps', 'policy', 'rbac.authorization.k8s.io'], resources: ['serviceaccounts', 'configmaps', 'services', 'daemonsets', 'deployments', 'poddisruptionbudgets', 'roles', 'rolebindings'], verbs: ['list'] },
      ],
    },
  },
};
