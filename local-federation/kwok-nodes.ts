// Fake nodes that KWOK keeps alive (Ready, heartbeats) and whose pods it marks Running.
import type { KubeObject } from '../kube-client/client.js';
import { KWOK_NODE_ANNOTATION } from './control-plane.js';
import { DEFAULT_NODE_SIZE, type NodeSize } from './node-sizes.js';

export function kwokNodeName(member: string, index: number): string {
  return `${member}-kwok-${index}`;
}

/**
 * A KWOK node. `taint`: NoSchedule with KWOK's own taint, for members that also have a real node, so that
 * pods which must really run (a webhook Deployment) are scheduled there; DaemonSets that tolerate it still land.
 * `size`: its allocatable CPU and memory (default 8 CPUs, 32 GiB).
 */
export function kwokNode(member: string, index: number, kubeletVersion: string, taint = false, size: NodeSize = DEFAULT_NODE_SIZE): KubeObject {
  const name = kwokNodeName(member, index);
  const resources = { cpu: size.cpu, memory: size.memory, pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'fedfeat.io/node-kind': 'kwok',
        type: 'kwok',
      },
    },
    spec: taint ? { taints: [{ key: KWOK_NODE_ANNOTATION, value: 'fake', effect: 'NoSchedule' }] } : {},
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: 'amd64', operatingSystem: 'linux', kubeletVersion,
        kubeProxyVersion: kubeletVersion, containerRuntimeVersion: 'kwok',
        osImage: 'kwok', kernelVersion: 'kwok', machineID: '', systemUUID: '', bootID: '',
      },
    },
  };
}
