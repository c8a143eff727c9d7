// The kubelet's own rules (v1.34), as pure functions the agent and the
// tactic follow so that fedfeat never writes a configuration the kubelet
// rejects:
//  - where its configuration comes from: the --config file, then the
//    --config-dir drop-ins (".conf" files, walked in lexical order, each a
//    JSON merge patch over what came before), then command-line flags, which
//    win over both (cmd/kubelet/app/server.go);
//  - reservedSystemCPUs cannot be combined with systemReservedCgroup or
//    kubeReservedCgroup, and must parse as a cpuset
//    (pkg/kubelet/apis/config/validation/validation.go);
//  - reservedSystemCPUs replaces the CPU of kubeReserved and systemReserved
//    (server.go), and the static CPU manager policy needs
//    systemReserved.cpu + kubeReserved.cpu > 0 (cm/cpumanager/cpu_manager.go);
//    quantities are Kubernetes quantities, so "0", "0m" and "0.0" are zero.

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** A Kubernetes resource quantity as a number (apimachinery's resource.ParseQuantity grammar), or undefined. */
export function parseQuantity(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2]) return n * 2 ** BINARY[m[2]]!;
  if (m[3]) return n * 10 ** Number(m[3].slice(1));
  return n * 10 ** DECIMAL[m[4] ?? '']!;
}

/** A CPU set such as "0-3,8" (k8s.io/utils/cpuset.Parse): its CPUs, or an error message. */
export function parseCpuSet(s: string): number[] | string {
  if (s === '') return [];
  const cpus = new Set<number>();
  for (const r of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(r);
    if (!m) return `"${r}" is not a CPU or a range of CPUs`;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b) return `range "${r}" goes backwards`;
    for (let i = a; i <= b; i++) cpus.add(i);
  }
  return [...cpus].sort((x, y) => x - y);
}

/** Kubelet flags that set a config field fedfeat reads or changes (they win over the files). */
export const FLAG_FIELDS: Record<string, { field: string; kind: 'string' | 'int' | 'map' | 'list' }> = {
  'cpu-manager-policy': { field: 'cpuManagerPolicy', kind: 'string' },
  'reserved-cpus': { field: 'reservedSystemCPUs', kind: 'string' },
  'kube-reserved': { field: 'kubeReserved', kind: 'map' },
  'system-reserved': { field: 'systemReserved', kind: 'map' },
  'kube-reserved-cgroup': { field: 'kubeReservedCgroup', kind: 'string' },
  'system-reserved-cgroup': { field: 'systemReservedCgroup', kind: 'string' },
  'enforce-node-allocatable': { field: 'enforceNodeAllocatable', kind: 'list' },
  'container-log-max-size': { field: 'containerLogMaxSize', kind: 'string' },
  'container-log-max-files': { field: 'containerLogMaxFiles', kind: 'int' },
  'image-gc-high-threshold': { field: 'imageGCHighThresholdPercent', kind: 'int' },
  'image-gc-low-threshold': { field: 'imageGCLowThresholdPercent', kind: 'int' },
  'healthz-port': { field: 'healthzPort', kind: 'int' },
  'healthz-bind-address': { field: 'healthzBindAddress', kind: 'string' },
};

export interface FlagSetting {
  flag: string;
  field: string;
  value: unknown;
}

/** The config fields a kubelet command line sets (pflag: --name=value or --name value; the last one wins). */
export function flagSettings(argv: string[]): FlagSetting[] {
  const out = new Map<string, FlagSetting>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const f = FLAG_FIELDS[name];
    if (!f) continue;
    const raw = eq < 0 ? argv[++i] ?? '' : a.slice(eq + 1);
    let value: unknown = raw;
    if (f.kind === 'int') value = Number(raw);
    else if (f.kind === 'list') value = raw ? raw.split(',') : [];
    else if (f.kind === 'map') value = Object.fromEntries(raw.split(',').filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
    out.set(f.field, { flag: `--${name}`, field: f.field, value });
  }
  return [...out.values()];
}

/**
 * Drop-in files in the order the kubelet merges them: filepath.WalkDir over
 * the directory (lexical order, depth first, into subdirectories), files
 * whose extension is exactly ".conf". Paths are relative to the directory.
 */
export function dropinOrder(relativePaths: string[]): string[] {
  const cmp = (a: string, b: string) => {
    const x = a.split('/');
    const y = b.split('/');
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    }
    return x.length - y.length;
  };
  // Go's filepath.Ext is the suffix from the last dot of the name: exactly ".conf" ⇔ the name ends with ".conf".
  return relativePaths.filter((p) => p.endsWith('.conf')).sort(cmp);
}

/** RFC 7386 JSON merge patch, as the kubelet applies each drop-in. */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredCloneish(patch);
  const out: Record<string, unknown> = isObj(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function structuredCloneish(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v)) as unknown;
}

export interface ConfigLayer {
  /** The file (host path) or "flags". */
  source: string;
  value: Record<string, unknown>;
  isFlags?: boolean;
}

/** The configuration the kubelet runs with: the main file, the drop-ins in order, then flags (the flags' maps replace whole maps). */
export function effectiveConfig(layers: ConfigLayer[]): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  for (const l of layers) {
    if (l.isFlags) out = { ...out, ...l.value };
    else out = mergePatch(out, l.value) as Record<string, unknown>;
  }
  return out;
}

/** The layer that decides the value at a path (the last one that sets it or replaces its parent), if any. */
export function decidingLayer(layers: ConfigLayer[], path: string[]): ConfigLayer | undefined {
  let found: ConfigLayer | undefined;
  for (const l of layers) {
    let at: unknown = l.value;
    for (let i = 0; i < path.length; i++) {
      if (!isObj(at) || !(path[i]! in at)) break;
      at = at[path[i]!];
      // Set here — or the parent is replaced here by something that is not a mapping (null, a scalar), or by a flag's whole map.
      if (i === path.length - 1 || !isObj(at) || l.isFlags) {
        found = l;
        break;
      }
    }
  }
  return found;
}

/** The CPU the kubelet reserves, in millicores (what the static policy needs to be above zero). */
export function reservedCpuMillis(cfg: Record<string, unknown>): number {
  const cpus = typeof cfg.reservedSystemCPUs === 'string' ? parseCpuSet(cfg.reservedSystemCPUs) : [];
  // A non-empty reservedSystemCPUs replaces the CPU of both reservations with its size.
  if (Array.isArray(cpus) && cpus.length) return cpus.length * 1000;
  const cpu = (m: unknown) => (isObj(m) ? parseQuantity(m.cpu) ?? 0 : 0);
  return Math.round((cpu(cfg.kubeReserved) + cpu(cfg.systemReserved)) * 1000);
}

/** What the kubelet would refuse in this effective configuration (each names the rule). */
export function kubeletProblems(cfg: Record<string, unknown>): string[] {
  const out: string[] = [];
  const rs = cfg.reservedSystemCPUs;
  if (rs !== undefined && rs !== '') {
    if (typeof rs !== 'string') out.push(`reservedSystemCPUs must be a string such as "0" (got ${JSON.stringify(rs)}; quote it)`);
    else {
      const cgroups = ['systemReservedCgroup', 'kubeReservedCgroup'].filter((k) => typeof cfg[k] === 'string' && cfg[k] !== '');
      if (cgroups.length) out.push(`reservedSystemCPUs cannot be combined with ${cgroups.map((k) => `${k} (${String(cfg[k])})`).join(' and ')}: the kubelet refuses to start`);
      const set = parseCpuSet(rs);
      if (typeof set === 'string') out.push(`reservedSystemCPUs "${rs}" is not a CPU set: ${set}`);
    }
  }
  for (const k of ['kubeReserved', 'systemReserved']) {
    const m = cfg[k];
    if (m === undefined || m === null) continue;
    if (!isObj(m)) {
      out.push(`${k} must map resource names to quantities`);
      continue;
    }
    for (const [res, q] of Object.entries(m)) {
      if (!['cpu', 'memory', 'ephemeral-storage', 'pid'].includes(res)) out.push(`${k}: the kubelet cannot reserve "${res}"`);
      else if (typeof q !== 'string') out.push(`${k}.${res} must be a string quantity (got ${JSON.stringify(q)}; quote it)`);
      else {
        const n = parseQuantity(q);
        if (n === undefined) out.push(`${k}.${res} "${q}" is not a quantity`);
        else if (n < 0) out.push(`${k}.${res} "${q}" is negative`);
      }
    }
  }
  if (cfg.cpuManagerPolicy === 'static' && reservedCpuMillis(cfg) <= 0) {
    out.push('the static CPU manager policy needs CPU reserved (reservedSystemCPUs, or kubeReserved.cpu + systemReserved.cpu above zero): the kubelet refuses to start');
  }
  return out;
}
