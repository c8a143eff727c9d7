// What the harness changed on a cluster, written on the cluster itself before
// each change: a marker namespace whose annotation lists the features the
// harness turned on. A crashed or interrupted run leaves that record behind,
// and `fedfeat eval cleanup` (or the next run's start) undoes exactly it.
// Everything else the harness creates lives in namespaces carrying its label.
import type { DesiredFeature, FeatureName } from '../api/featureconfig.js';
import type { KubeClient, KubeObject } from '../kube-client/client.js';
import type { MemberContext, Reconfigurator } from '../reconfigurators/types.js';

export const EVAL_NAMESPACE = 'fedfeat-eval';
export const EVAL_LABEL = 'app.kubernetes.io/managed-by';
export const EVAL_LABEL_VALUE = 'fedfeat-eval';
export const INSTALLED_ANNOTATION = 'fedfeat.io/eval-installed';
const FIELD_MANAGER = 'fedfeat-eval';

/** Parses the marker's annotation: the features turned on, with their settings. An unreadable one is an error, not "nothing installed". Pure. */
export function parseInstalled(value: string | undefined): DesiredFeature[] {
  if (!value) return [];
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new Error(`annotation ${INSTALLED_ANNOTATION} on namespace ${EVAL_NAMESPACE} is not JSON: ${value}`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string')) {
    throw new Error(`annotation ${INSTALLED_ANNOTATION} is not a list of features: ${value}`);
  }
  return v as DesiredFeature[];
}

export function namespaceObject(name: string, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [EVAL_LABEL]: EVAL_LABEL_VALUE }, ...(annotations ? { annotations } : {}) } } as KubeObject;
}

export async function readInstalled(c: KubeClient): Promise<DesiredFeature[]> {
  const ns = await c.getOptional<KubeObject>(`/api/v1/namespaces/${EVAL_NAMESPACE}`);
  return parseInstalled(ns?.metadata.annotations?.[INSTALLED_ANNOTATION]);
}

async function writeInstalled(c: KubeClient, features: DesiredFeature[]): Promise<void> {
  await c.apply(`/api/v1/namespaces/${EVAL_NAMESPACE}`, namespaceObject(EVAL_NAMESPACE, { [INSTALLED_ANNOTATION]: JSON.stringify(features) }), FIELD_MANAGER);
}

/** Records a feature (and the settings revert needs, e.g. the Calico manifest) before the harness turns it on. */
export async function recordInstalling(c: KubeClient, feature: DesiredFeature): Promise<void> {
  await writeInstalled(c, [...(await readInstalled(c)).filter((f) => f.name !== feature.name), feature]);
}

/** Drops a feature from the record once the harness has reverted it. */
export async function recordReverted(c: KubeClient, feature: FeatureName): Promise<void> {
  await writeInstalled(c, (await readInstalled(c)).filter((f) => f.name !== feature));
}

/**
 * Reverts a recorded feature with the settings the record holds (the tactic's defaults may differ, e.g. another
 * Calico manifest), then drops it from the record.
 */
export async function revertRecorded(m: MemberContext, r: Reconfigurator, recorded: DesiredFeature): Promise<void> {
  await r.revert(m, recorded);
  await recordReverted(m.client, recorded.name);
}

/** Names of the namespaces the harness created (labelled), the record's own included. */
export async function evalNamespaces(c: KubeClient): Promise<string[]> {
  const nss = await c.list<KubeObject>('/api/v1/namespaces', { query: { labelSelector: `${EVAL_LABEL}=${EVAL_LABEL_VALUE}` } });
  return nss.items.map((ns) => ns.metadata.name);
}

/** Creates a namespace for one experiment, labelled so cleanup finds it. */
export async function ensureEvalNamespace(c: KubeClient, name: string): Promise<void> {
  await c.apply(`/api/v1/namespaces/${name}`, namespaceObject(name), FIELD_MANAGER);
}

/** Deletes one experiment namespace and waits until it is gone. */
export async function deleteEvalNamespace(c: KubeClient, name: string, timeoutMs = 120_000): Promise<void> {
  // Pods bound to no real kubelet (load pods) would stay Terminating: remove them at once.
  await c.delete(`/api/v1/namespaces/${name}/pods`, { query: { gracePeriodSeconds: 0 } }).catch(() => undefined);
  await c.delete(`/api/v1/namespaces/${name}`);
  const left = await c.waitGone([`/api/v1/namespaces/${name}`], timeoutMs);
  if (left.length) throw new Error(`namespace ${name} still terminating after ${timeoutMs / 1000} s`);
}

export interface CleanupResult {
  reverted: FeatureName[];
  namespaces: string[];
  errors: string[];
}

/**
 * Undoes what the record says the harness turned on, then deletes the harness's namespaces.
 * A feature whose revert fails stays in the record (and the marker namespace stays) so a later cleanup retries.
 */
export type Tactics = Partial<Record<FeatureName, { r: Reconfigurator; f: DesiredFeature }>>;

export async function cleanupMember(m: MemberContext, tactics: Tactics): Promise<CleanupResult> {
  const c = m.client;
  const out: CleanupResult = { reverted: [], namespaces: [], errors: [] };
  for (const f of await readInstalled(c)) {
    const t = tactics[f.name];
    try {
      if (!t) throw new Error('no tactic known for it');
      await revertRecorded(m, t.r, f);
      out.reverted.push(f.name);
    } catch (e) {
      out.errors.push(`revert ${f.name}: ${(e as Error).message}`);
    }
  }
  for (const ns of await evalNamespaces(c)) {
    if (ns === EVAL_NAMESPACE && out.errors.length) continue;
    try {
      await deleteEvalNamespace(c, ns);
      out.namespaces.push(ns);
    } catch (e) {
      out.errors.push(`delete namespace ${ns}: ${(e as Error).message}`);
    }
  }
  return out;
}
