// What Calico leaves on every node when its objects are deleted: the CNI
// configuration install-cni wrote (10-calico.conflist, calico-kubeconfig).
// The container runtime picks the first configuration in /etc/cni/net.d, so
// with Calico's left there new pods would still be handed to Calico's plugin,
// which cannot work without calico-node and its service account. Revert runs
// this DaemonSet once (host network, so it needs no CNI itself), from the
// calico-node image already on the nodes, to remove exactly those files;
// the node's previous CNI configuration then applies again (pure).
//
// And what Felix leaves in each node's network stack once calico-node is gone:
// its iptables chains (cali-*, with the jumps into them from the built-in
// chains) and ipsets. Calico has no uninstall for them; left there, its
// nat-outgoing rule keeps masquerading pod traffic that leaves the pool (seen
// here: a pod's connections to the host arrived from its node's address after
// Calico was reverted) and its policy chains keep filtering by stale sets.
// Revert runs the same DaemonSet again, after calico-node's pods are gone,
// with a script that removes exactly those (felixCleanupDaemonSet).
import type { KubeObject } from '../../kube-client/client.js';
import { MANAGED_BY } from './manifest.js';

export const CLEANUP_NAME = 'calico-cni-cleanup';

interface C { name: string; image?: string; command?: string[]; securityContext?: { privileged?: boolean }; env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string }> }
type DS = KubeObject & { spec: { template: { spec: { containers: C[]; initContainers?: C[]; volumes?: Array<{ name: string; hostPath?: { path: string } }> } } } };

/**
 * Removes Felix's iptables state with each backend and family the node has (Felix picks legacy or nft itself):
 * the built-in chains' rules Felix wrote (jumps into cali-* chains, and its FORWARD mark/accept rules — every
 * Felix rule carries a "cali:" comment), then the cali-* chains (flushed first: they jump to each other),
 * then cali* ipsets. Rules of others (kube-proxy's KUBE-*) are left alone. Prints what remains, if anything.
 */
export const FELIX_CLEANUP_SCRIPT = [
  'for ipt in iptables-nft iptables-legacy ip6tables-nft ip6tables-legacy; do',
  '  command -v "$ipt-save" >/dev/null 2>&1 || continue',
  '  for t in raw mangle nat filter; do',
  '    "$ipt-save" -t "$t" 2>/dev/null | grep -E \'^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*(-j cali-|--comment "?cali:)\' | sed \'s/^-A /-D /\' |',
  '      while read -r rule; do eval "$ipt -w -t $t $rule" || true; done',
  '    chains=$("$ipt-save" -t "$t" 2>/dev/null | sed -n \'s/^:\\(cali-[^ ]*\\) .*/\\1/p\')',
  '    for c in $chains; do "$ipt" -w -t "$t" -F "$c" || true; done',
  '    for c in $chains; do "$ipt" -w -t "$t" -X "$c" || true; done',
  '    left=$("$ipt-save" -t "$t" 2>/dev/null | grep -c \'^:cali-\')',
  '    [ "$left" = 0 ] || echo "$ipt $t: $left cali- chains left"',
  '  done',
  'done',
  'for set in $(ipset list -n 2>/dev/null | grep \'^cali\'); do ipset destroy "$set" || echo "ipset $set left (still referenced)"; done',
  'echo "Felix rules removed"',
].join('\n');

/** The second run of the cleanup DaemonSet: Felix's iptables chains and ipsets, once calico-node is gone (pure). */
export function felixCleanupDaemonSet(objects: KubeObject[]): KubeObject | undefined {
  const ds = cniCleanupDaemonSet(objects) as (KubeObject & { spec: { template: { spec: Record<string, unknown> & { initContainers: C[] } } } }) | undefined;
  if (!ds) return undefined;
  const pod = ds.spec.template.spec;
  const image = pod.initContainers[0]!.image;
  pod.initContainers = [{ name: 'remove-felix-rules', image, command: ['/bin/sh', '-c', FELIX_CLEANUP_SCRIPT], securityContext: { privileged: true } } as C];
  delete pod.volumes;
  return ds;
}

/** The cleanup DaemonSet for the Calico objects a manifest rendered (undefined when they hold no calico-node). */
export function cniCleanupDaemonSet(objects: KubeObject[]): KubeObject | undefined {
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'calico-node') as DS | undefined;
  if (!ds) return undefined;
  const pod = ds.spec.template.spec;
  const image = pod.containers.find((c) => c.name === 'calico-node')?.image;
  if (!image) return undefined;
  const install = pod.initContainers?.find((c) => c.name === 'install-cni');
  const confName = install?.env?.find((e) => e.name === 'CNI_CONF_NAME')?.value ?? '10-calico.conflist';
  const netDir = pod.volumes?.find((v) => v.name === 'cni-net-dir')?.hostPath?.path ?? '/etc/cni/net.d';
  const labels = { 'k8s-app': CLEANUP_NAME };
  const files = [confName, 'calico-kubeconfig'].map((f) => `/host/net.d/${f}`).join(' ');
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: CLEANUP_NAME, namespace: ds.metadata.namespace ?? 'kube-system', labels: { ...labels, ...MANAGED_BY } },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          hostNetwork: true,
          tolerations: [{ operator: 'Exists' }],
          priorityClassName: 'system-node-critical',
          terminationGracePeriodSeconds: 0,
          initContainers: [{ name: 'remove-calico-cni-config', image, command: ['/bin/sh', '-c', `rm -f ${files}`], volumeMounts: [{ name: 'cni-net-dir', mountPath: '/host/net.d' }] }],
          // Ready once the init container has run on the node: that is all revert waits for.
          containers: [{ name: 'done', image, command: ['/bin/sh', '-c', 'exec sleep 3600'] }],
          volumes: [{ name: 'cni-net-dir', hostPath: { path: netDir } }],
        },
      },
    },
  } as KubeObject;
}
