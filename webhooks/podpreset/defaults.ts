// The core/v1 defaults the API server gives a pod's env, envFrom, volumes and
// volume mounts before mutating webhooks see it (pure). Presets are a CRD, so
// their copies of those fields are not defaulted: comparing a preset's item
// with the pod's raw would call `fieldRef: {fieldPath}` and
// `fieldRef: {apiVersion: v1, fieldPath}` a conflict. normalize*() give both
// sides the same defaults, and the same encoding, before they are compared.
//
// Source: k8s.io/kubernetes pkg/apis/core/v1/defaults.go (SetDefaults_*) and
// zz_generated.defaults.go (which nested fields they reach, for a Pod), plus
// the declarative +default markers of k8s.io/api/core/v1 types.go.
import type { EnvFromSource, EnvVar, Volume, VolumeMount } from '../../reconfigurators/podpreset/podpreset-api.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** SecretVolumeSourceDefaultMode, ConfigMapVolumeSourceDefaultMode, ... = 0644. */
export const DEFAULT_MODE = 0o644;

/**
 * Drops what Go's JSON encoding leaves out (`omitempty` on false, "" and empty lists; null for nil), so a preset
 * written `readOnly: false` or `value: ""` equals the pod the API server re-encoded. For the few pointer fields where
 * nil and false or "" could differ (`optional`, `hostPath.type`), they mean the same to the kubelet. Numbers are kept:
 * `mode: 0` is not an absent mode.
 */
function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(compact);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || x === null || x === false || x === '' || (Array.isArray(x) && x.length === 0)) continue;
    out[k] = compact(x);
  }
  return out;
}

const BINARY: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIX = Object.fromEntries(Object.entries(DECIMAL).map(([s, e]) => [e, s]));

/**
 * A resource.Quantity in the canonical form the API server stores (`1024Mi` -> `1Gi`, `1000m` -> `1`, `0.5` -> `500m`),
 * so presets spelling a quantity differently from the stored pod compare equal. Strings it cannot parse are returned
 * as they are (the API server would have refused them in a pod anyway).
 */
export function canonicalQuantity(q: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/.exec(q.trim());
  if (!m || (!m[2] && !m[3])) return q;
  const [, sign = '', int = '', frac = '', suffix, exp] = m;
  const neg = sign === '-';
  // value = mantissa * 10^e10 * 2^e2
  let mantissa = BigInt(`${int}${frac}` || '0');
  let e10 = -frac.length;
  let e2 = 0n;
  let format: 'binary' | 'decimal' | 'exponent' = 'decimal';
  if (suffix && suffix in BINARY) {
    format = 'binary';
    e2 = BINARY[suffix]!;
  } else if (suffix !== undefined) e10 += DECIMAL[suffix]!;
  else if (exp !== undefined) {
    format = 'exponent';
    e10 += Number(exp);
  }
  if (mantissa === 0n) return '0';
  // Binary quantities: exact integer values of at least 1024 stay binary, everything else is written decimal.
  if (format === 'binary') {
    const scaled = mantissa * 2n ** e2; // value = scaled * 10^e10, e10 <= 0 (the fraction's digits)
    const unit = 10n ** BigInt(-e10);
    let whole = scaled % unit === 0n ? scaled / unit : undefined;
    if (whole !== undefined && whole >= 1024n) {
      let k = 0n;
      while (k < 60n && whole % 1024n === 0n) {
        whole /= 1024n;
        k += 10n;
      }
      const sfx = Object.entries(BINARY).find(([, b]) => b === k)?.[0] ?? '';
      return `${neg ? '-' : ''}${whole}${sfx}`;
    }
    mantissa = scaled; // the same value, written decimal
    format = 'decimal';
  }
  // Values finer than nano are rounded up to nano, as the API server does.
  if (e10 < -9) {
    const div = 10n ** BigInt(-9 - e10);
    mantissa = (mantissa + div - 1n) / div;
    e10 = -9;
  }
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    e10++;
  }
  // The largest exponent that is a multiple of 3, at most E (10^18), with an integer mantissa.
  let e3 = Math.floor(e10 / 3) * 3;
  if (format === 'decimal') e3 = Math.min(e3, 18);
  const digits = mantissa * 10n ** BigInt(e10 - e3);
  const suffixOut = format === 'exponent' ? (e3 === 0 ? '' : `e${e3}`) : DECIMAL_SUFFIX[e3]!;
  return `${neg ? '-' : ''}${digits}${suffixOut}`;
}

/** ObjectFieldSelector.apiVersion defaults to v1; ResourceFieldSelector.divisor is a non-pointer Quantity, stored "0" when unset. */
function selectors(holder: Obj): void {
  if (isObj(holder.fieldRef) && !holder.fieldRef.apiVersion) holder.fieldRef.apiVersion = 'v1';
  if (isObj(holder.resourceFieldRef)) {
    const d = holder.resourceFieldRef.divisor;
    holder.resourceFieldRef.divisor = typeof d === 'string' || typeof d === 'number' ? canonicalQuantity(String(d)) : '0';
  }
}

const defaultMode = (src: unknown) => {
  if (isObj(src) && src.defaultMode === undefined) src.defaultMode = DEFAULT_MODE;
};
const setDefaults = (src: unknown, defaults: Obj) => {
  if (!isObj(src)) return;
  for (const [k, v] of Object.entries(defaults)) if (src[k] === undefined || src[k] === null || src[k] === '') src[k] = v;
};
const quantities = (list: unknown) => {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) if (typeof v === 'string' || typeof v === 'number') list[k] = canonicalQuantity(String(v));
};

/** An env var as the API server stores it in a pod, compacted for comparison. */
export function normalizeEnvVar(e: EnvVar): unknown {
  const out = structuredClone(e) as unknown as Obj; // an EnvVar is a JSON object like any other here
  if (isObj(out.valueFrom)) selectors(out.valueFrom);
  return compact(out);
}

/** envFrom sources have no defaults; only the encoding differs. */
export function normalizeEnvFrom(e: EnvFromSource): unknown {
  return compact(e);
}

/** Volume mounts have no defaults either (mountPropagation nil is treated as None by the kubelet, not stored as such). */
export function normalizeVolumeMount(m: VolumeMount): unknown {
  return compact(m);
}

/** A volume as the API server stores it in a pod (SetObjectDefaults_Pod's volume part), compacted for comparison. */
export function normalizeVolume(volume: Volume): unknown {
  const v = structuredClone(volume) as Obj;
  // SetDefaults_Volume: a volume without a source is an emptyDir.
  if (!Object.entries(v).some(([k, x]) => k !== 'name' && x !== undefined && x !== null)) v.emptyDir = {};
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = ''; // HostPathUnset
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) defaultMode(v[k]);
  if (isObj(v.downwardAPI) && Array.isArray(v.downwardAPI.items)) for (const i of v.downwardAPI.items) if (isObj(i)) selectors(i);
  if (isObj(v.projected) && Array.isArray(v.projected.sources)) {
    for (const s of v.projected.sources) {
      if (!isObj(s)) continue;
      if (isObj(s.downwardAPI) && Array.isArray(s.downwardAPI.items)) for (const i of s.downwardAPI.items) if (isObj(i)) selectors(i);
      if (isObj(s.serviceAccountToken) && s.serviceAccountToken.expirationSeconds === undefined) s.serviceAccountToken.expirationSeconds = 3600;
    }
  }
  if (isObj(v.emptyDir) && (typeof v.emptyDir.sizeLimit === 'string' || typeof v.emptyDir.sizeLimit === 'number')) {
    v.emptyDir.sizeLimit = canonicalQuantity(String(v.emptyDir.sizeLimit));
  }
  // Declarative defaults of the in-tree volume types (types.go +default markers).
  setDefaults(v.iscsi, { iscsiInterface: 'default' });
  setDefaults(v.rbd, { pool: 'rbd', user: 'admin', keyring: '/etc/ceph/keyring' });
  setDefaults(v.azureDisk, { cachingMode: 'ReadWrite', fsType: 'ext4', kind: 'Shared' });
  setDefaults(v.scaleIO, { storageMode: 'ThinProvisioned', fsType: 'xfs' });
  if (isObj(v.ephemeral) && isObj(v.ephemeral.volumeClaimTemplate) && isObj(v.ephemeral.volumeClaimTemplate.spec)) {
    const spec = v.ephemeral.volumeClaimTemplate.spec;
    spec.volumeMode ??= 'Filesystem';
    if (isObj(spec.resources)) {
      quantities(spec.resources.requests);
      quantities(spec.resources.limits);
    }
  }
  // SetDefaults_Volume: image volumes pull Always for :latest (or no tag), IfNotPresent otherwise.
  if (isObj(v.image) && !v.image.pullPolicy && typeof v.image.reference === 'string') {
    const [ref = '', digest] = v.image.reference.split('@');
    const tag = /:([^/:]+)$/.exec(ref)?.[1] ?? (digest ? '' : 'latest'); // parsers.ParseImageName
    v.image.pullPolicy = tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  return compact(v);
}
