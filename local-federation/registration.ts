// Registering a member cluster on the host the way `kubefedctl join` does:
// a ServiceAccount on the member whose token Secret the member's own
// controller-manager fills, then on the host a Secret with that token and a
// KubeFedCluster pointing at the member's API endpoint and CA.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { waitFor } from '../kube-client/wait.js';
import { repoRoot } from './repo-root.js';

export const FIELD_MANAGER = 'fedfeat-launcher';
export const MEMBER_SERVICE_ACCOUNT = 'fedfeat-host';
const CRD_NAME = 'kubefedclusters.core.kubefed.io';

export function kubefedClusterCrd(): KubeObject {
  return parse(readFileSync(path.join(repoRoot, 'manifests', 'crds', 'core.kubefed.io_kubefedclusters.yaml'), 'utf8')) as KubeObject;
}

/** Installs the KubeFedCluster CRD on the host unless it is there, and waits until it is served. */
export async function ensureKubeFedCrd(host: KubeClient): Promise<'installed' | 'present'> {
  const crdPath = resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, CRD_NAME);
  const existing = await host.getOptional(crdPath);
  if (!existing) await host.apply(crdPath, kubefedClusterCrd(), FIELD_MANAGER);
  await waitFor(`CRD ${CRD_NAME} established`, async () => {
    const crd = await host.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(crdPath);
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  }, { timeoutMs: 30_000 });
  return existing ? 'present' : 'installed';
}

export async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  await client.apply(resourcePath('v1', 'namespaces', undefined, name), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, FIELD_MANAGER);
}

/** Objects created on the member for the host's access (pure). KubeFed grants the host full access; so does this. */
export function memberAccessObjects(): KubeObject[] {
  const ns = KUBEFED_NAMESPACE;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: MEMBER_SERVICE_ACCOUNT, namespace: ns } },
    {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: `${MEMBER_SERVICE_ACCOUNT}-token`, namespace: ns, annotations: { 'kubernetes.io/service-account.name': MEMBER_SERVICE_ACCOUNT } },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding',
      metadata: { name: `fedfeat:${MEMBER_SERVICE_ACCOUNT}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: MEMBER_SERVICE_ACCOUNT, namespace: ns }],
    },
  ];
}

/** Creates the member-side access and returns the long-lived token the member's controller-manager issued. */
export async function createMemberAccess(member: KubeClient): Promise<string> {
  await ensureNamespace(member, KUBEFED_NAMESPACE);
  const objs = memberAccessObjects();
  for (const o of objs) await member.applyObject(o, FIELD_MANAGER);
  const secretPath = await member.pathOf(objs[1]!);
  let token = '';
  await waitFor('service account token issued on member', async () => {
    const s = await member.get<{ data?: { token?: string } }>(secretPath);
    token = s.data?.token ? Buffer.from(s.data.token, 'base64').toString('utf8') : '';
    return token.length > 0;
  }, { timeoutMs: 60_000 });
  return token;
}

export interface Registration {
  memberName: string;
  apiEndpoint: string;
  caPem: string;
  token: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The host-side Secret and KubeFedCluster for one member (pure). */
export function hostRegistrationObjects(r: Registration): { secret: KubeObject; cluster: KubeFedCluster } {
  const secretName = `${r.memberName}-token`;
  return {
    secret: {
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
      metadata: { name: secretName, namespace: KUBEFED_NAMESPACE, labels: { 'fedfeat.io/member': r.memberName } },
      data: { token: Buffer.from(r.token).toString('base64'), 'ca.crt': Buffer.from(r.caPem).toString('base64') },
    },
    cluster: {
      apiVersion: KUBEFED_API_VERSION, kind: 'KubeFedCluster',
      metadata: { name: r.memberName, namespace: KUBEFED_NAMESPACE, labels: r.labels ?? {}, ...(r.annotations ? { annotations: r.annotations } : {}) },
      spec: { apiEndpoint: r.apiEndpoint, caBundle: Buffer.from(r.caPem).toString('base64'), secretRef: { name: secretName } },
    },
  };
}

export async function registerMember(host: KubeClient, r: Registration): Promise<void> {
  const { secret, cluster } = hostRegistrationObjects(r);
  await host.apply(resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, secret.metadata.name), secret, FIELD_MANAGER);
  await host.apply(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, cluster.metadata.name), cluster, FIELD_MANAGER);
}
