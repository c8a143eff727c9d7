// `fedfeat join` and `fedfeat unjoin` against real clusters (the I/O around
// join/objects.ts). Both are idempotent: join converges the member's roles
// to the access level and features asked for (removing roles a previous join
// granted and this one does not), unjoin removes what join created and
// nothing else, and says what it left and why.
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL } from '../api/kubefed.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { waitFor } from '../kube-client/wait.js';
import { joinLabel, JOIN_LABEL_PREFIX } from '../reconfigurators/rbac.js';
import {
  ACCESS_LABEL, CREATED_ANNOTATION, hostObjects, joinFieldManager, MEMBER_LABEL, MEMBER_SERVICE_ACCOUNT, memberObjects, namespaceObject,
  tokenSecret, type JoinSpec,
} from './objects.js';

const KUBEFED_CRD = 'kubefedclusters.core.kubefed.io';
const RBAC = 'rbac.authorization.k8s.io/v1';
const selector = (sa: string) => ({ labelSelector: joinLabel(sa) });
const what = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

export interface JoinClients {
  member: KubeClient;
  host: KubeClient;
}

export interface JoinOptions {
  /** The member ServiceAccount (default fedfeat-host). */
  serviceAccount?: string;
  /** One line per step. */
  log?: (line: string) => void;
  tokenTimeoutMs?: number;
}

/** Joins (or re-joins) a member: returns the member's token (already stored on the host). */
export async function join(c: JoinClients, spec: JoinSpec, o: JoinOptions = {}): Promise<{ token: string }> {
  const log = o.log ?? (() => undefined);
  const sa = spec.serviceAccount ?? MEMBER_SERVICE_ACCOUNT;
  const manager = joinFieldManager(sa);
  if (!(await c.host.getOptional(resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, KUBEFED_CRD)))) {
    throw new Error(`the host has no KubeFedCluster CRD (${KUBEFED_CRD}): install KubeFed, or kubectl apply -f manifests/crds/core.kubefed.io_kubefedclusters.yaml`);
  }
  // Member: namespaces first (join's own, the probe namespace, each tactic's namespace it grants in).
  const m = memberObjects(spec);
  for (const ns of m.namespaces) {
    let live = await c.member.getOptional(`/api/v1/namespaces/${ns}`);
    if (live?.metadata.deletionTimestamp) {
      // An unjoin (or a revert) just deleted it: wait until it is gone, then create it again.
      log(`member: namespace ${ns} is being deleted; waiting for it to go`);
      const left = await c.member.waitGone([`/api/v1/namespaces/${ns}`], 120_000);
      if (left.length) throw new Error(`namespace ${ns} on the member is still terminating after 120 s`);
      live = undefined;
    }
    // Once created by join, always "created by join" (the annotation is join's own field, re-applied each time).
    const created = !live || live.metadata.annotations?.[CREATED_ANNOTATION] === sa;
    await c.member.applyObject(namespaceObject(ns, created, sa), manager);
    if (!live) log(`member: namespace ${ns} created`);
  }
  for (const obj of m.objects) await c.member.applyObject(obj, manager);
  log(`member: ServiceAccount ${KUBEFED_NAMESPACE}/${sa}, its token Secret and ${m.objects.filter((x) => x.kind.endsWith('Role')).map((x) => what(x)).join(', ')} applied (${spec.access}: ${spec.features.join(', ') || 'no features'})`);
  // Roles an earlier join granted that this one does not (e.g. enforce → inform, or fewer features).
  const want = new Set(m.objects.map(what));
  for (const o of await joinedRbac(c.member, sa)) {
    if (want.has(what(o))) continue;
    await c.member.delete(await c.member.pathOf(o));
    log(`member: ${what(o)} removed (no longer granted)`);
  }
  const token = await memberToken(c.member, sa, o.tokenTimeoutMs ?? 60_000);
  // Host: the token Secret and the KubeFedCluster (the namespace if it is missing).
  await c.host.apply(resourcePath('v1', 'namespaces', undefined, KUBEFED_NAMESPACE), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUBEFED_NAMESPACE } }, manager);
  const h = hostObjects(spec, token);
  await c.host.applyObject(h.secret, manager);
  await c.host.apply(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, spec.member), h.cluster, manager);
  log(`host: Secret ${KUBEFED_NAMESPACE}/${h.secret.metadata.name} and KubeFedCluster ${spec.member} (${ACCESS_LABEL}=${spec.access}) applied`);
  return { token };
}

/** The long-lived token the member's controller-manager writes into the token Secret. */
async function memberToken(member: KubeClient, sa: string, timeoutMs: number): Promise<string> {
  const path = resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, tokenSecret(sa));
  return waitFor('the member to issue the ServiceAccount token (its controller-manager fills the Secret)', async () => {
    const s = await member.get<KubeObject & { data?: { token?: string } }>(path);
    return s.data?.token ? Buffer.from(s.data.token, 'base64').toString('utf8') : undefined;
  }, { timeoutMs });
}

/** Every ClusterRole(Binding) and Role(Binding) join created on the member, bindings first. */
async function joinedRbac(member: KubeClient, sa: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const kind of ['ClusterRoleBinding', 'RoleBinding', 'ClusterRole', 'Role']) {
    const plural = `${kind.toLowerCase()}s`;
    const items = (await member.list<KubeObject>(`/apis/${RBAC}/${plural}`, { query: selector(sa) })).items;
    out.push(...items.map((i) => ({ ...i, apiVersion: RBAC, kind })));
  }
  return out;
}

/** Removes what join created, on both sides; what it finds missing is already done. Returns what it did. */
export async function unjoin(c: JoinClients, member: string, o: JoinOptions = {}): Promise<string[]> {
  const log = o.log ?? (() => undefined);
  const sa = o.serviceAccount ?? MEMBER_SERVICE_ACCOUNT;
  const manager = joinFieldManager(sa);
  const done: string[] = [];
  const note = (line: string) => {
    done.push(line);
    log(line);
  };
  // Host first: the controller stops using the member before its access goes.
  const kfcPath = resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, member);
  const kfc = await c.host.getOptional(kfcPath);
  if (kfc && kfc.metadata.labels?.[ACCESS_LABEL] === undefined) {
    throw new Error(`KubeFedCluster ${member} on the host was not created by fedfeat join (no ${ACCESS_LABEL} label): not removing it`);
  }
  if (kfc && (await c.host.delete(kfcPath))) note(`host: KubeFedCluster ${member} deleted`);
  const secretPath = resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, `${member}-token`);
  const secret = await c.host.getOptional(secretPath);
  if (secret?.metadata.labels?.[MEMBER_LABEL] === member && (await c.host.delete(secretPath))) note(`host: Secret ${KUBEFED_NAMESPACE}/${member}-token deleted`);

  for (const obj of await joinedRbac(c.member, sa)) {
    if (await c.member.delete(await c.member.pathOf(obj))) note(`member: ${what(obj)} deleted`);
  }
  for (const [kind, path] of [['Secret', resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, tokenSecret(sa))], ['ServiceAccount', resourcePath('v1', 'serviceaccounts', KUBEFED_NAMESPACE, sa)]] as const) {
    const live = await c.member.getOptional(path);
    if (live?.metadata.labels?.[joinLabel(sa)] !== undefined && (await c.member.delete(path))) note(`member: ${kind} ${KUBEFED_NAMESPACE}/${live.metadata.name} deleted`);
  }
  const namespaces = (await c.member.list<KubeObject>('/api/v1/namespaces', { query: selector(sa) })).items;
  // The ServiceAccount's namespace last: the others hold nothing of join's any more.
  namespaces.sort((a, b) => Number(a.metadata.name === KUBEFED_NAMESPACE) - Number(b.metadata.name === KUBEFED_NAMESPACE));
  for (const ns of namespaces) {
    const name = ns.metadata.name;
    const createdByJoin = ns.metadata.annotations?.[CREATED_ANNOTATION] === sa;
    const usedByTactic = ns.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat';
    const otherJoins = Object.keys(ns.metadata.labels ?? {}).filter((k) => k.startsWith(JOIN_LABEL_PREFIX) && k !== joinLabel(sa));
    if (createdByJoin && !usedByTactic && !otherJoins.length) {
      await c.member.delete(`/api/v1/namespaces/${name}`);
      note(`member: namespace ${name} deleted`);
    } else {
      // Not join's to delete (there before, or a tactic's install lives in it): only join's label and annotation go.
      await c.member.apply(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, manager);
      const why = usedByTactic ? "fedfeat's installed feature lives in it; revert the feature to remove it" : otherJoins.length ? `another join holds it (${otherJoins.join(', ')})` : 'it was there before join';
      note(`member: namespace ${name} kept (${why}); join's label removed`);
    }
  }
  if (!done.length) log(`nothing of fedfeat join left for ${member}`);
  return done;
}
