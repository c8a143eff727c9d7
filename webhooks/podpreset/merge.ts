// The PodPreset admission semantics (pure), as the removed in-tree plugin had
// them: every preset in the pod's namespace whose selector matches is merged
// into all containers and init containers; any conflict (same env name, volume
// name or mount path with a different value) means the pod is admitted
// unmodified and the conflict reported; applied presets are recorded as
// annotations; pods annotated exclude=true are left alone.
import { matchesSelector } from '../../api/label-selector.js';
import {
  APPLIED_ANNOTATION_PREFIX, EXCLUDE_ANNOTATION, type Container, type EnvVar, type Pod, type PodPreset, type Volume, type VolumeMount,
} from '../../reconfigurators/podpreset/podpreset-api.js';

export type JsonPatchOp = { op: 'add' | 'replace'; path: string; value: unknown };

export type MergeOutcome =
  | { kind: 'excluded' }
  | { kind: 'no-match' }
  | { kind: 'conflict'; presets: string[]; conflicts: string[] }
  | { kind: 'applied'; presets: string[]; patch: JsonPatchOp[] };

const equal = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** Presets that select the pod, in name order (the order they are applied in). */
export function matchingPresets(pod: Pod, presets: PodPreset[]): PodPreset[] {
  const ns = pod.metadata.namespace;
  return presets
    .filter((p) => p.metadata.namespace === ns && matchesSelector(p.spec.selector ?? {}, pod.metadata.labels ?? {}))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Merges items keyed by `keys` into `base`; an equal item is skipped, a different one is a conflict. */
function mergeKeyed<T extends object>(base: T[], add: T[], keys: Array<keyof T>, what: string, conflicts: string[]): T[] {
  const out = [...base];
  for (const item of add) {
    let duplicate = false;
    for (const key of keys) {
      const existing = out.find((o) => o[key] === item[key]);
      if (!existing) continue;
      if (equal(existing, item)) duplicate = true;
      else conflicts.push(`${what} ${String(key)} "${String(item[key])}": ${JSON.stringify(existing)} vs ${JSON.stringify(item)}`);
    }
    if (!duplicate && !keys.some((k) => out.some((o) => o[k] === item[k]))) out.push(item);
  }
  return out;
}

function mergeContainer(c: Container, presets: PodPreset[], conflicts: string[]): Container {
  let env: EnvVar[] = c.env ?? [];
  let mounts: VolumeMount[] = c.volumeMounts ?? [];
  let envFrom = c.envFrom ?? [];
  for (const p of presets) {
    const at = (what: string) => `container "${c.name}": preset ${p.metadata.name}: ${what}`;
    env = mergeKeyed(env, p.spec.env ?? [], ['name'], at('env'), conflicts);
    mounts = mergeKeyed(mounts, p.spec.volumeMounts ?? [], ['name', 'mountPath'], at('volumeMount'), conflicts);
    // envFrom has no key to conflict on; the original plugin appended it.
    envFrom = [...envFrom, ...(p.spec.envFrom ?? [])];
  }
  return { ...c, ...(env.length ? { env } : {}), ...(envFrom.length ? { envFrom } : {}), ...(mounts.length ? { volumeMounts: mounts } : {}) };
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export function applyPresets(pod: Pod, presets: PodPreset[]): MergeOutcome {
  if (pod.metadata.annotations?.[EXCLUDE_ANNOTATION] === 'true') return { kind: 'excluded' };
  const matching = matchingPresets(pod, presets);
  if (!matching.length) return { kind: 'no-match' };
  const names = matching.map((p) => p.metadata.name);
  const conflicts: string[] = [];
  let volumes: Volume[] = pod.spec.volumes ?? [];
  for (const p of matching) volumes = mergeKeyed(volumes, p.spec.volumes ?? [], ['name'], `preset ${p.metadata.name}: volume`, conflicts);
  const containers = pod.spec.containers.map((c) => mergeContainer(c, matching, conflicts));
  const initContainers = pod.spec.initContainers?.map((c) => mergeContainer(c, matching, conflicts));
  if (conflicts.length) return { kind: 'conflict', presets: names, conflicts };

  const patch: JsonPatchOp[] = [];
  const annotations = { ...(pod.metadata.annotations ?? {}) };
  for (const p of matching) annotations[`${APPLIED_ANNOTATION_PREFIX}${p.metadata.name}`] = p.metadata.resourceVersion ?? '';
  if (!pod.metadata.annotations) patch.push({ op: 'add', path: '/metadata/annotations', value: annotations });
  else {
    for (const p of matching) {
      const key = `${APPLIED_ANNOTATION_PREFIX}${p.metadata.name}`;
      patch.push({ op: key in pod.metadata.annotations ? 'replace' : 'add', path: `/metadata/annotations/${escape(key)}`, value: annotations[key] });
    }
  }
  if (volumes.length !== (pod.spec.volumes ?? []).length) patch.push({ op: pod.spec.volumes ? 'replace' : 'add', path: '/spec/volumes', value: volumes });
  const containerOps = (list: Container[], merged: Container[], field: 'containers' | 'initContainers') => {
    merged.forEach((m, i) => {
      for (const key of ['env', 'envFrom', 'volumeMounts'] as const) {
        if (equal(list[i]![key] ?? [], m[key] ?? [])) continue;
        patch.push({ op: list[i]![key] ? 'replace' : 'add', path: `/spec/${field}/${i}/${key}`, value: m[key] });
      }
    });
  };
  containerOps(pod.spec.containers, containers, 'containers');
  if (pod.spec.initContainers && initContainers) containerOps(pod.spec.initContainers, initContainers, 'initContainers');
  return { kind: 'applied', presets: names, patch };
}
