// `fedfeat join --decentralized` and `fedfeat unjoin --decentralized` against
// a member (the I/O around join/agent-objects.ts). No host: join writes on the
// member everything its agent needs (access, certificate, peers, Deployment);
// unjoin first has the fleet revoke the member (every other agent then
// refuses its certificate), then removes what join wrote (and, after it,
// join/agent-cleanup.ts what the agent materialized).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { KUBEFED_NAMESPACE } from '../api/kubefed.js';
import type { KubeClient, KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { JOIN_LABEL_PREFIX, joinLabel } from '../reconfigurators/rbac.js';
import type { AgentCredentials } from '../decentralized/agent-cert.js';
import { AGENT_CONFIG_MAP, AGENT_SERVICE_ACCOUNT, AGENT_TLS_SECRET, agentJoinObjects, type AgentJoinSpec } from './agent-objects.js';
import { CREATED_ANNOTATION, joinFieldManager, namespaceObject } from './objects.js';

const MANAGER = joinFieldManager(AGENT_SERVICE_ACCOUNT);
const SELECTOR = { labelSelector: joinLabel(AGENT_SERVICE_ACCOUNT) };
const what = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** manifests/agent's objects (next to dist/ or to the sources), the one definition of the agent's workload and RBAC. */
export function agentManifests(): KubeObject[] {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const root of [joinPath(here, '..'), joinPath(here, '..', '..')]) {
    const files = ['rbac.yaml', 'agent.yaml'].map((f) => joinPath(root, 'manifests', 'agent', f));
    if (files.every((f) => existsSync(f))) return files.flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as KubeObject).filter(Boolean));
  }
  throw new Error('manifests/agent not found next to fedfeat');
}

// Kinds join may have written, in delete order (workload first: the agent stops before its access goes).
const KINDS: Array<[kind: string, apiVersion: string, plural: string]> = [
  ['Deployment', 'apps/v1', 'deployments'], ['Service', 'v1', 'services'], ['ConfigMap', 'v1', 'configmaps'], ['Secret', 'v1', 'secrets'],
  ['ClusterRoleBinding', 'rbac.authorization.k8s.io/v1', 'clusterrolebindings'], ['RoleBinding', 'rbac.authorization.k8s.io/v1', 'rolebindings'],
  ['ClusterRole', 'rbac.authorization.k8s.io/v1', 'clusterroles'], ['Role', 'rbac.authorization.k8s.io/v1', 'roles'],
  ['ServiceAccount', 'v1', 'serviceaccounts'],
];

/** Every object join --decentralized labelled on the member. */
async function joinedObjects(member: KubeClient): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const [kind, apiVersion, plural] of KINDS) {
    const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
    // Namespaced kinds listed across all namespaces: join writes in kube-federation-system, default and the tactics' namespaces.
    const items = (await member.list<KubeObject>(`${base}/${plural}`, { query: SELECTOR })).items;
    out.push(...items.map((i) => ({ ...i, apiVersion, kind })));
  }
  return out;
}

/** Writes (or updates) the agent of a member; returns what it applied. */
export async function joinAgent(member: KubeClient, spec: AgentJoinSpec, o: { log?: (line: string) => void; manifests?: KubeObject[] } = {}): Promise<KubeObject[]> {
  const log = o.log ?? (() => undefined);
  const { namespaces, objects } = agentJoinObjects(spec, o.manifests ?? agentManifests());
  for (const ns of namespaces) {
    const live = await member.getOptional(`/api/v1/namespaces/${ns}`);
    if (live?.metadata.deletionTimestamp) throw new Error(`namespace ${ns} on ${spec.member} is being deleted; join again once it is gone`);
    const created = !live || live.metadata.annotations?.[CREATED_ANNOTATION] === AGENT_SERVICE_ACCOUNT;
    await member.applyObject(namespaceObject(ns, created, AGENT_SERVICE_ACCOUNT), MANAGER);
  }
  for (const obj of objects) await member.applyObject(obj, MANAGER);
  // Roles (and a Deployment) an earlier join wrote that this one does not.
  const want = new Set(objects.map(what));
  for (const left of await joinedObjects(member)) {
    if (want.has(what(left))) continue;
    await member.delete(await member.pathOf(left));
    log(`${spec.member}: ${what(left)} removed (no longer part of the join)`);
  }
  log(`${spec.member}: agent ${objects.some((x) => x.kind === 'Deployment') ? 'Deployment, ' : ''}certificate (Secret), peers (ConfigMap ${KUBEFED_NAMESPACE}/${AGENT_CONFIG_MAP}: ${spec.peers.map((p) => p.member).join(', ') || 'none'}) and ${spec.access} access for ${spec.features.join(', ') || 'no features'} applied`);
  return objects;
}

/** The agent's settings as join wrote them on the member (its ConfigMap), or undefined. */
export async function joinedAgentConfig(member: KubeClient): Promise<Record<string, string> | undefined> {
  const cm = await member.getOptional<KubeObject & { data?: Record<string, string> }>(resourcePath('v1', 'configmaps', KUBEFED_NAMESPACE, AGENT_CONFIG_MAP));
  return cm?.data;
}

/** The agent certificate join wrote on the member (its Secret, as the agent's pod mounts it), or undefined. */
export async function joinedAgentCredentials(member: KubeClient): Promise<AgentCredentials | undefined> {
  const secret = await member.getOptional<KubeObject & { data?: Record<string, string> }>(resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, AGENT_TLS_SECRET));
  if (!secret?.data) return undefined;
  const d = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
  return { ca: d('ca.crt'), cert: d('tls.crt'), key: d('tls.key') };
}

/** Removes what join --decentralized wrote on the member; a namespace goes only if join created it and nothing else holds it. */
export async function unjoinAgent(member: KubeClient, name: string, o: { log?: (line: string) => void } = {}): Promise<string[]> {
  const log = o.log ?? (() => undefined);
  const done: string[] = [];
  for (const obj of await joinedObjects(member)) {
    if (await member.delete(await member.pathOf(obj))) {
      done.push(what(obj));
      log(`${name}: ${what(obj)} deleted`);
    }
  }
  for (const ns of (await member.list<KubeObject>('/api/v1/namespaces', { query: SELECTOR })).items) {
    const n = ns.metadata.name;
    const others = Object.keys(ns.metadata.labels ?? {}).filter((k) => k.startsWith(JOIN_LABEL_PREFIX) && k !== joinLabel(AGENT_SERVICE_ACCOUNT));
    const usedByTactic = ns.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat';
    if (ns.metadata.annotations?.[CREATED_ANNOTATION] === AGENT_SERVICE_ACCOUNT && !others.length && !usedByTactic) {
      await member.delete(`/api/v1/namespaces/${n}`);
      done.push(`Namespace ${n}`);
      log(`${name}: namespace ${n} deleted`);
    } else {
      // Not join's alone: only its label and annotation go (server-side apply of nothing by join's field manager).
      await member.apply(`/api/v1/namespaces/${n}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } }, MANAGER);
      log(`${name}: namespace ${n} kept; join's label removed`);
    }
  }
  if (!done.length) log(`nothing of join --decentralized left on ${name}`);
  return done;
}
