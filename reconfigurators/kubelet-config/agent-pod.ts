// The objects the kubelet tactic puts on a member (pure): one short-lived
// privileged agent pod per node (one node at a time, so never every kubelet at
// once — the outage the paper measured), and a NetworkPolicy that denies the
// agent pods all ingress.
import type { KubeletSettings } from '../../api/featureconfig.js';
import type { KubeObject } from '../../kube-client/client.js';

/** Its own namespace: the PodPreset tactic's fedfeat-system comes and goes with that feature. */
export const AGENT_NAMESPACE = 'fedfeat-node-agent';
export const AGENT_APP = 'fedfeat-kubelet-agent';
export const AGENT_NETWORK_POLICY = 'kubelet-agent-deny-ingress';
export const DEFAULT_AGENT_IMAGE = 'ghcr.io/fedfeat/fedfeat:0.1.0';
export const AGENT_COMMAND = ['node', '/app/dist/daemonset-scripts/kubelet-agent/main.js'];
const MANAGED = { 'app.kubernetes.io/managed-by': 'fedfeat', 'app.kubernetes.io/part-of': 'fedfeat-kubelet-config' };

export interface AgentPodInput {
  node: string;
  mode: 'apply' | 'revert';
  settings: KubeletSettings;
  image: string;
  command: string[];
  /** How the node restarts its kubelet: its annotation fedfeat.io/kubelet-restart, else auto (systemd). */
  restart: string;
  timeoutSeconds: number;
}

/** Pod names are per node and per mode; names longer than 63 characters are cut and hashed. */
export function agentPodName(node: string, mode: string): string {
  const name = `kubelet-agent-${mode}-${node}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (name.length <= 63) return name;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `${name.slice(0, 54)}-${h.toString(16).padStart(8, '0')}`;
}

export function renderAgentPod(i: AgentPodInput): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: agentPodName(i.node, i.mode), namespace: AGENT_NAMESPACE,
      labels: { ...MANAGED, 'app.kubernetes.io/name': AGENT_APP, 'fedfeat.io/node': i.node.slice(0, 63) },
    },
    spec: {
      nodeName: i.node, // no scheduler: this node, now, whatever its taints
      hostPID: true, // to find and signal the kubelet
      hostNetwork: true, // to reach the kubelet's healthz on the node's loopback
      restartPolicy: 'Never',
      automountServiceAccountToken: false, // the agent never talks to the API server
      priorityClassName: 'system-node-critical',
      tolerations: [{ operator: 'Exists' }],
      activeDeadlineSeconds: i.timeoutSeconds * 2 + 60,
      containers: [{
        name: 'agent', image: i.image, imagePullPolicy: 'IfNotPresent',
        command: [...i.command, i.mode, '--node', i.node, '--settings', JSON.stringify(i.settings), '--restart', i.restart, '--host-root', '/host', '--timeout-seconds', String(i.timeoutSeconds)],
        env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        // Privileged: it edits a root-owned file anywhere on the host and, on systemd nodes, enters PID 1's
        // namespaces to run systemctl. It runs for seconds, on one node at a time, and is deleted afterwards.
        securityContext: { privileged: true },
        terminationMessagePolicy: 'File',
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
        volumeMounts: [{ name: 'host', mountPath: '/host' }],
      }],
      volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
    },
  } as KubeObject;
}

export function renderAgentSupport(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE, labels: { ...MANAGED } } } as KubeObject,
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: AGENT_NETWORK_POLICY, namespace: AGENT_NAMESPACE, labels: { ...MANAGED } },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': AGENT_APP } }, policyTypes: ['Ingress'], ingress: [] },
    } as unknown as KubeObject,
  ];
}

/** Nodes in rollout order, in batches of at most maxUnavailable (pure). */
export function planBatches(nodes: string[], maxUnavailable: number): string[][] {
  const n = Math.max(1, Math.floor(maxUnavailable));
  const sorted = [...nodes].sort();
  const out: string[][] = [];
  for (let i = 0; i < sorted.length; i += n) out.push(sorted.slice(i, i + n));
  return out;
}
