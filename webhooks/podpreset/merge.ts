// The PodPreset admission semantics (pure), as the removed in-tree plugin had
// them: every preset in the pod's namespace whose selector matches is merged
// into all containers and init containers; any conflict (same env name, volume
// name or mount path with a different value) means the pod is admitted
// unmodified and the conflict reported; applied presets are recorded as
// annotations; mirror pods and pods annotated exclude=true are left alone.
//
// Differences from the in-tree plugin, all for a CRD-backed replica:
// - items are compared after the API server's core/v1 defaults (defaults.ts):
//   the pod arrives defaulted, the preset (a CRD) does not;
// - an item the pod already has identically is not added again (envFrom too),
//   so a reinvocation or a pod copied from a mutated one is left as it is;
// - a preset with an invalid selector is skipped and reported, not an error
//   that would take every other preset of its namespace down with it.
import { isDeepStrictEqual } from 'node:util';
import { createPatch, type Operation } from 'rfc6902';
import { matchesSelector, selectorProblems } from '../../api/label-selector.js';
import {
  APPLIED_ANNOTATION_PREFIX, EXCLUDE_ANNOTATION, type Container, type Pod, type PodPreset,
} from '../../reconfigurators/podpreset/podpreset-api.js';
import { normalizeEnvFrom, normalizeEnvVar, normalizeVolume, normalizeVolumeMount } from './defaults.js';

export type JsonPatchOp = Operation;

/** Annotation the kubelet puts on the API copy of a static pod; such pods mirror a manifest and must stay as it says. */
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** A preset of the pod's namespace that was skipped because it cannot be evaluated. */
export interface InvalidPreset {
  preset: PodPreset;
  problems: string[];
}

export type MergeOutcome =
  | { kind: 'mirror' }
  | { kind: 'excluded' }
  | { kind: 'no-match'; invalid: InvalidPreset[] }
  | { kind: 'conflict'; presets: string[]; conflicts: string[]; invalid: InvalidPreset[] }
  /** patch is [] when the pod already carries everything (a reinvocation). */
  | { kind: 'applied'; presets: string[]; patch: JsonPatchOp[]; invalid: InvalidPreset[] };

/**
 * Presets of the namespace that select the pod, in name order (the order they are applied in), and those skipped
 * because their selector is invalid (stored before the CRD schema refused such selectors, or by a foreign CRD).
 */
export function matchingPresets(pod: Pod, presets: PodPreset[], namespace = pod.metadata.namespace): { matching: PodPreset[]; invalid: InvalidPreset[] } {
  const matching: PodPreset[] = [];
  const invalid: InvalidPreset[] = [];
  for (const p of presets) {
    if (p.metadata.namespace !== namespace) continue;
    const problems = selectorProblems(p.spec?.selector);
    if (problems.length) invalid.push({ preset: p, problems });
    else if (matchesSelector(p.spec?.selector ?? {}, pod.metadata.labels ?? {})) matching.push(p.spec ? p : { ...p, spec: {} });
  }
  const byName = (a: PodPreset, b: PodPreset) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
  return { matching: matching.sort(byName), invalid: invalid.sort((a, b) => byName(a.preset, b.preset)) };
}

interface Keyed<T> {
  /** Fields identifying an item: a second item with the same value of any of them must be identical. */
  keys: Array<keyof T & string>;
  normalize: (item: T) => unknown;
  what: string;
}

/**
 * Appends to `list` (in place) the items of `add` it lacks. An item identical to one already there (after defaults)
 * is skipped; one sharing a key with a different value is a conflict. Keyless kinds (envFrom) are only deduplicated.
 */
function mergeInto<T extends object>(list: T[], add: T[] | undefined, k: Keyed<T>, where: string, conflicts: string[]): boolean {
  let changed = false;
  for (const item of add ?? []) {
    const norm = k.normalize(item);
    let clash = false;
    let same = false;
    for (const existing of list) {
      const sharedKeys = k.keys.filter((key) => existing[key] === item[key]);
      if (!k.keys.length || sharedKeys.length) {
        if (isDeepStrictEqual(k.normalize(existing), norm)) same = true;
        else if (sharedKeys.length) {
          clash = true;
          for (const key of sharedKeys) {
            conflicts.push(`${where}: ${k.what} ${key} "${String(item[key])}": ${JSON.stringify(existing)} vs ${JSON.stringify(item)}`);
          }
        }
      }
    }
    if (!same && !clash) {
      list.push(item);
      changed = true;
    }
  }
  return changed;
}

const ENV: Keyed<NonNullable<Container['env']>[number]> = { keys: ['name'], normalize: normalizeEnvVar, what: 'env' };
const ENV_FROM: Keyed<NonNullable<Container['envFrom']>[number]> = { keys: [], normalize: normalizeEnvFrom, what: 'envFrom' };
const MOUNT: Keyed<NonNullable<Container['volumeMounts']>[number]> = { keys: ['name', 'mountPath'], normalize: normalizeVolumeMount, what: 'volumeMount' };
const VOLUME: Keyed<NonNullable<Pod['spec']['volumes']>[number]> = { keys: ['name'], normalize: normalizeVolume, what: 'volume' };

/** Merges the presets into a container (in place); sets only the lists that grew, so absent ones stay absent. */
function mergeContainer(c: Container, presets: PodPreset[], conflicts: string[]): void {
  const env = [...(c.env ?? [])];
  const envFrom = [...(c.envFrom ?? [])];
  const mounts = [...(c.volumeMounts ?? [])];
  let envChanged = false;
  let envFromChanged = false;
  let mountsChanged = false;
  for (const p of presets) {
    const where = `container "${c.name}": preset ${p.metadata.name}`;
    envChanged = mergeInto(env, p.spec.env, ENV, where, conflicts) || envChanged;
    envFromChanged = mergeInto(envFrom, p.spec.envFrom, ENV_FROM, where, conflicts) || envFromChanged;
    mountsChanged = mergeInto(mounts, p.spec.volumeMounts, MOUNT, where, conflicts) || mountsChanged;
  }
  if (envChanged) c.env = env;
  if (envFromChanged) c.envFrom = envFrom;
  if (mountsChanged) c.volumeMounts = mounts;
}

/**
 * Decides one pod creation. `namespace` is the request's (a pod's own metadata.namespace may be empty); the patch is
 * computed against `pod` exactly as given, so it must be the object of the AdmissionRequest.
 */
export function applyPresets(pod: Pod, presets: PodPreset[], namespace = pod.metadata.namespace): MergeOutcome {
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) return { kind: 'mirror' };
  if (pod.metadata.annotations?.[EXCLUDE_ANNOTATION] === 'true') return { kind: 'excluded' };
  const { matching, invalid } = matchingPresets(pod, presets, namespace);
  if (!matching.length) return { kind: 'no-match', invalid };
  const names = matching.map((p) => p.metadata.name);

  const mutated = structuredClone(pod);
  const conflicts: string[] = [];
  const volumes = [...(mutated.spec.volumes ?? [])];
  for (const p of matching) {
    if (mergeInto(volumes, p.spec.volumes, VOLUME, `preset ${p.metadata.name}`, conflicts)) mutated.spec.volumes = volumes;
  }
  for (const c of mutated.spec.containers) mergeContainer(c, matching, conflicts);
  for (const c of mutated.spec.initContainers ?? []) mergeContainer(c, matching, conflicts);
  if (conflicts.length) return { kind: 'conflict', presets: names, conflicts, invalid };

  const annotations = (mutated.metadata.annotations ??= {});
  for (const p of matching) annotations[`${APPLIED_ANNOTATION_PREFIX}${p.metadata.name}`] = p.metadata.resourceVersion ?? '';
  // rfc6902 escapes the '/' in annotation keys (~1) and uses add/replace as the original requires.
  return { kind: 'applied', presets: names, patch: createPatch(pod, mutated), invalid };
}

/** The patch that marks fedfeat's dry-run probe pod as seen by the webhook. */
export function probePatch(pod: Pod, annotation: string): JsonPatchOp[] {
  const mutated = structuredClone(pod);
  (mutated.metadata.annotations ??= {})[annotation] = 'true';
  return createPatch(pod, mutated);
}
