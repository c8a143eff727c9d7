// Registering a member cluster on the host with `fedfeat join` (join/): a
// ServiceAccount on the member with least-privilege roles, whose token Secret
// the member's own controller-manager fills, then on the host a Secret with
// that token and a KubeFedCluster pointing at the member's API endpoint and CA.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { join } from '../join/join.js';
import { DEFAULT_JOIN_FEATURES, type JoinSpec } from '../join/objects.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { waitFor } from '../kube-client/wait.js';
import { repoRoot } from './repo-root.js';

export const FIELD_MANAGER = 'fedfeat-launcher';
export { hostRegistrationObjects, MEMBER_SERVICE_ACCOUNT, type Registration } from '../join/objects.js';
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

/** Where FeaturePlacements of the demo and the tests run Deployments on members (join grants placement access there). */
export const PLACEMENT_NAMESPACE = 'fedfeat-placement';

/**
 * Registers a member with `fedfeat join`'s own code: enforce access for the features the demo applies
 * (not cluster-admin), so every integration test that runs the controller proves those roles suffice.
 */
export async function joinMember(host: KubeClient, member: KubeClient, r: Omit<JoinSpec, 'access' | 'features'>): Promise<string> {
  return (await join({ member, host }, { placementNamespaces: [PLACEMENT_NAMESPACE], ...r, access: 'enforce', features: DEFAULT_JOIN_FEATURES })).token;
}
