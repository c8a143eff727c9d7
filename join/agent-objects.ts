// What `fedfeat join --decentralized` writes on a member (pure): the agent's
// Deployment, Service and RBAC from manifests/agent (passed in, so the YAML
// stays the one source), the tactics' access for the access level and
// features (join's own roles, bound to the agent's ServiceAccount), the
// agent certificate as the Secret the Deployment mounts, and the ConfigMap
// the Deployment reads its member name, peers, advertised address and labels
// from. Everything carries join's label for the agent's ServiceAccount, so
// `fedfeat unjoin --decentralized` finds exactly what join wrote.
import { KUBEFED_NAMESPACE } from '../api/kubefed.js';
import type { AgentCredentials } from '../decentralized/agent-cert.js';
import type { PeerAddress } from '../decentralized/gossip.js';
import type { KubeObject } from '../kube-client/client.js';
import { joinLabel } from '../reconfigurators/rbac.js';
import { memberObjects, type JoinSpec } from './objects.js';

export const AGENT_SERVICE_ACCOUNT = 'fedfeat-agent';
export const AGENT_TLS_SECRET = 'fedfeat-agent-tls';
export const AGENT_CONFIG_MAP = 'fedfeat-agent';
export const AGENT_DEPLOYMENT = 'fedfeat-agent';

export interface AgentJoinSpec extends Pick<JoinSpec, 'member' | 'access' | 'features'> {
  credentials: AgentCredentials;
  /** Agents this one dials first (two or three are enough: the rest it learns from the document). */
  peers: PeerAddress[];
  /** Where the other members reach this agent; absent: the pod's IP. */
  advertise?: string;
  /** The member's labels, for FeatureConfigs' clusterSelector. */
  labels?: Record<string, string>;
  /** The member's tactic settings (what KubeFedCluster annotations say in host mode, e.g. fedfeat.io/podpreset-webhook-url). */
  annotations?: Record<string, string>;
  /** Image of the agent's Deployment (default the manifest's). */
  image?: string;
  /** Apply the Deployment and Service (default true); false: credentials, config and access only (an agent run elsewhere). */
  deploy?: boolean;
}

export const formatPeers = (peers: PeerAddress[]) =>
  peers.map((p) => `${p.member}=${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`).join(',');
export const formatLabels = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

const b64 = (s: string) => Buffer.from(s).toString('base64');

function withLabel(o: KubeObject): KubeObject {
  const labels = { ...o.metadata.labels, [joinLabel(AGENT_SERVICE_ACCOUNT)]: 'true' };
  return { ...o, metadata: { ...o.metadata, labels } };
}

/** The agent's Secret and ConfigMap (what its pod mounts). */
export function agentConfigObjects(spec: AgentJoinSpec): KubeObject[] {
  if (spec.peers.some((p) => p.member === spec.member)) throw new Error(`the peers of ${spec.member} must not include ${spec.member} itself`);
  const secret: KubeObject = {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
    metadata: { name: AGENT_TLS_SECRET, namespace: KUBEFED_NAMESPACE },
    data: { 'ca.crt': b64(spec.credentials.ca), 'tls.crt': b64(spec.credentials.cert), 'tls.key': b64(spec.credentials.key) },
  } as KubeObject;
  const data: Record<string, string> = { member: spec.member, peers: formatPeers(spec.peers) };
  if (spec.advertise) data.advertise = spec.advertise;
  if (spec.labels && Object.keys(spec.labels).length) data.labels = formatLabels(spec.labels);
  if (spec.annotations && Object.keys(spec.annotations).length) data.annotations = formatLabels(spec.annotations);
  const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AGENT_CONFIG_MAP, namespace: KUBEFED_NAMESPACE }, data } as KubeObject;
  return [secret, config].map(withLabel);
}

/**
 * Everything join writes, in apply order: namespaces, the manifests' ServiceAccount and RBAC, the tactics'
 * roles, the Secret and ConfigMap, then (deploy) the Deployment and Service with the image set.
 */
export function agentJoinObjects(spec: AgentJoinSpec, manifests: KubeObject[]): { namespaces: string[]; objects: KubeObject[] } {
  const access = memberObjects({ access: spec.access, features: spec.features, serviceAccount: AGENT_SERVICE_ACCOUNT });
  // The agent authenticates with its pod's projected token: no long-lived token Secret.
  const tacticRoles = access.objects.filter((o) => o.kind !== 'Secret' && o.kind !== 'ServiceAccount');
  const rbac = manifests.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind));
  const workload = manifests.filter((o) => o.kind === 'Deployment' || o.kind === 'Service');
  const deploy = spec.deploy ?? true;
  return {
    // join's own and the tactics' namespaces (the manifests' Role in default needs no namespace of join's).
    namespaces: access.namespaces,
    objects: [
      ...rbac.map(withLabel), ...tacticRoles, ...agentConfigObjects(spec),
      ...(deploy ? workload.map((o) => withLabel(o.kind === 'Deployment' && spec.image ? withImage(o, spec.image) : o)) : []),
    ],
  };
}

type Deployment = KubeObject & { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } };

function withImage(o: KubeObject, image: string): KubeObject {
  const d = structuredClone(o) as Deployment;
  for (const c of d.spec.template.spec.containers) if (c.name === 'agent') c.image = image;
  return d;
}
