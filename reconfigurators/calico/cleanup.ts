// What Calico leaves on every node when its objects are deleted: the CNI
// configuration install-cni wrote (10-calico.conflist, calico-kubeconfig).
// The container runtime picks the first configuration in /etc/cni/net.d, so
// with Calico's left there new pods would still be handed to Calico's plugin,
// which cannot work without calico-node and its service account. Revert runs
// this DaemonSet once (host network, so it needs no CNI itself), from the
// calico-node image already on the nodes, to remove exactly those files;
// the node's previous CNI configuration then applies again (pure).
import type { KubeObject } from '../../kube-client/client.js';
import { MANAGED_BY } from './manifest.js';

export const CLEANUP_NAME = 'calico-cni-cleanup';

interface C { name: string; image?: string; env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string }> }
type DS = KubeObject & { spec: { template: { spec: { containers: C[]; initContainers?: C[]; volumes?: Array<{ name: string; hostPath?: { path: string } }> } } } };

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
