// The kubelet's configuration, changed without losing anything (pure): where
// it comes from (--config, the --config-dir drop-ins, flags), which file
// decides each field, the edits that give the desired settings — in the file
// that wins, every other byte kept — and the kubelet's own rules checked on
// the result, so that nothing the kubelet would refuse is ever written. What
// fedfeat adds on its own (the CPU it reserves for the static policy) is
// recorded, and removed again when the policy goes back to none.
import type { KubeletSettings } from '../../api/featureconfig.js';
import { decidingLayer, effectiveConfig, flagSettings, kubeletProblems, parseCpuSet, parseQuantity, reservedCpuMillis, type ConfigLayer } from './kubelet-rules.js';
import { applyEditsToValue, editKubeletConfig, hasPath, parseKubeletConfig, sameValue, valueAt, type ConfigEdit, type ParsedConfig } from './kubelet-yaml.js';

/** Where vendors keep the file when the kubelet's command line does not say (--config wins). */
export const KNOWN_CONFIG_PATHS = [
  '/var/lib/kubelet/config.yaml', // kubeadm
  '/home/kubernetes/kubelet-config.yaml', // GKE
  '/etc/kubernetes/kubelet/config.json', // EKS (AL2023)
  '/etc/kubernetes/kubelet/kubelet-config.json', // EKS (AL2)
  '/etc/default/kubeletconfig.json', // AKS
  '/var/lib/rancher/k3s/agent/etc/kubelet.conf', // k3s, when configured with a file
] as const;

/**
 * A flag's value on a kubelet command line (argv as in /proc/PID/cmdline),
 * --name value or --name=value. Not parseArgs: the kubelet's flags are its own
 * (Go pflag, hundreds of them), and only this one is wanted.
 */
export function kubeletFlag(argv: string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) found = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) found = a.slice(name.length + 3);
  }
  return found; // pflag: the last occurrence wins
}

/** The kubelet's --config path. */
export const configFlag = (argv: string[]): string | undefined => kubeletFlag(argv, 'config');
/** The kubelet's --config-dir (drop-in directory). */
export const configDirFlag = (argv: string[]): string | undefined => kubeletFlag(argv, 'config-dir');

const RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pid'];

/** Fields the agent applies, with the check each value must pass. */
const SAFE_FIELDS: Record<keyof KubeletSettings, (v: unknown) => string | undefined> = {
  cpuManagerPolicy: (v) => (v === 'none' || v === 'static' ? undefined : 'must be none or static'),
  reservedSystemCPUs: (v) => {
    if (typeof v !== 'string' || v === '') return 'must be a cpuset list such as "0" or "0-1,4"';
    const set = parseCpuSet(v);
    return typeof set === 'string' ? `must be a cpuset list such as "0" or "0-1,4": ${set}` : undefined;
  },
  kubeReserved: quantities,
  systemReserved: quantities,
  containerLogMaxSize: (v) => (typeof v === 'string' && /^\d+(Ki|Mi|Gi)$/.test(v) ? undefined : 'must be a size such as 10Mi'),
  containerLogMaxFiles: (v) => (Number.isInteger(v) && (v as number) >= 2 ? undefined : 'must be a whole number of at least 2'),
  imageGCHighThresholdPercent: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100 ? undefined : 'must be a percentage'),
  imageGCLowThresholdPercent: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100 ? undefined : 'must be a percentage'),
};

function quantities(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'must map resource names to quantities';
  for (const [res, q] of Object.entries(v as Record<string, unknown>)) {
    if (!RESOURCES.includes(res)) return `the kubelet cannot reserve "${res}" (only ${RESOURCES.join(', ')})`;
    const n = parseQuantity(q);
    if (n === undefined) return `${res} must be a quantity string such as "500m" or "1Gi"`;
    if (n < 0) return `${res} cannot be negative`;
  }
  return undefined;
}

export class UnsafeSetting extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const zeroCpu = (m: unknown) => isObj(m) && 'cpu' in m && parseQuantity(m.cpu) === 0;

/**
 * Refuses what the agent cannot apply safely whatever the node; names every
 * problem. The tactic calls it before touching any node.
 */
export function checkSettings(desired: Record<string, unknown>): void {
  const problems = Object.entries(desired).flatMap(([k, v]) => {
    const check = SAFE_FIELDS[k as keyof KubeletSettings];
    if (!check) return [`${k}: fedfeat does not change this kubelet field (it can change: ${Object.keys(SAFE_FIELDS).join(', ')})`];
    const why = check(v);
    return why ? [`${k}: ${why} (got ${JSON.stringify(v)})`] : [];
  });
  // "0", "0m", "0.0" are no reservation: asking for the static policy with both at zero and no
  // reservedSystemCPUs asks for what the kubelet refuses to start with.
  const d = desired as KubeletSettings;
  if (!problems.length && d.cpuManagerPolicy === 'static' && !d.reservedSystemCPUs && zeroCpu(d.kubeReserved) && zeroCpu(d.systemReserved)) {
    problems.push(`cpuManagerPolicy static: kubeReserved.cpu ${JSON.stringify(d.kubeReserved!.cpu)} and systemReserved.cpu ${JSON.stringify(d.systemReserved!.cpu)} reserve no CPU, and the static policy needs CPU reserved (give a non-zero cpu or reservedSystemCPUs, or leave them out and fedfeat reserves one CPU)`);
  }
  if (problems.length) throw new UnsafeSetting(problems.join('; '));
}

/** A config file as read from the node. */
export interface ConfigFile {
  /** The path as the kubelet sees it (used in messages and the record). */
  path: string;
  text: string;
}

/** What the kubelet reads, as found on the node (I/O gathers it; everything below is pure). */
export interface KubeletSources {
  /** The --config file (or a known vendor path), if the kubelet has one. */
  main?: ConfigFile;
  /** --config-dir, if set. */
  dropinDir?: string;
  /** The drop-ins in the kubelet's merge order (see dropinOrder). */
  dropins: ConfigFile[];
  /** The kubelet's command line: its flags win over every file. */
  argv: string[];
}

/** Something fedfeat wrote on its own, to be taken out again when it is no longer needed. */
export interface AddedSetting {
  file: string;
  path: string[];
  value: unknown;
  /** fedfeat also created the mapping the value is in (e.g. systemReserved). */
  createdParent?: boolean;
}

/** The agent's record on the node. */
export interface AgentRecord {
  added: AddedSetting[];
}

export interface KubeletPlan {
  /** Files to write (path → new text); empty when nothing changes. */
  writes: ConfigFile[];
  /** The changed fields, e.g. "cpuManagerPolicy", "systemReserved.cpu", "-reservedSystemCPUs" (removed). */
  changed: string[];
  /** The CPU manager's state file no longer fits (policy or reserved CPUs changed): it must go before the restart. */
  cpuStateInvalid: boolean;
  record: AgentRecord;
  /** The configuration the kubelet will run with. */
  effective: Record<string, unknown>;
}

interface Want {
  path: string[];
  value?: unknown;
  remove?: boolean;
  /** Forced file (a removal goes where fedfeat wrote). */
  file?: string;
  added?: boolean;
}

function layersOf(parsed: ParsedConfig[], argv: string[]): ConfigLayer[] {
  const flags = flagSettings(argv);
  const layers: ConfigLayer[] = parsed.map((p) => ({ source: p.file, value: p.value }));
  if (flags.length) layers.push({ source: flags.map((f) => f.flag).join(' '), isFlags: true, value: Object.fromEntries(flags.map((f) => [f.field, f.value])) });
  return layers;
}

function parseSources(src: KubeletSources): ParsedConfig[] {
  const out: ParsedConfig[] = [];
  if (src.main) {
    const p = parseKubeletConfig(src.main.text, src.main.path);
    if (p.value.kind !== undefined && p.value.kind !== 'KubeletConfiguration') throw new UnsafeSetting(`${src.main.path} holds a ${String(p.value.kind)}, not a KubeletConfiguration`);
    out.push(p);
  }
  for (const d of src.dropins) {
    const p = parseKubeletConfig(d.text, d.path);
    // The kubelet refuses a drop-in without apiVersion and kind, or of another kind.
    if (p.value.kind !== 'KubeletConfiguration' || p.value.apiVersion !== 'kubelet.config.k8s.io/v1beta1') {
      throw new UnsafeSetting(`${d.path}: a kubelet drop-in must have apiVersion kubelet.config.k8s.io/v1beta1 and kind KubeletConfiguration (the kubelet refuses it otherwise)`);
    }
    out.push(p);
  }
  return out;
}

/** The configuration a kubelet with these sources runs with (pure). */
export function readEffective(src: KubeletSources): Record<string, unknown> {
  return effectiveConfig(layersOf(parseSources(src), src.argv));
}

const RESERVED_MAPS = ['kubeReserved', 'systemReserved'];
const pathName = (p: string[]) => p.join('.');

/**
 * The edits that give the kubelet the desired settings (pure). Throws
 * UnsafeSetting, naming the rule and the file, when it cannot be done
 * without a configuration the kubelet refuses.
 */
export function planKubeletChange(src: KubeletSources, desired: KubeletSettings, recordIn: AgentRecord = { added: [] }): KubeletPlan {
  checkSettings(desired as Record<string, unknown>);
  const parsed = parseSources(src);
  if (!parsed.length) throw new UnsafeSetting('the kubelet runs without --config or --config-dir drop-ins: it is configured by flags only, which fedfeat does not edit');
  const layers = layersOf(parsed, src.argv);
  const before = effectiveConfig(layers);
  const byFile = new Map(parsed.map((p) => [p.file, p]));

  const wants: Want[] = [];
  for (const [k, v] of Object.entries(desired)) {
    if (v === undefined) continue;
    // Resource maps change per resource: reserving CPU keeps a reserved memory figure.
    if (RESERVED_MAPS.includes(k)) for (const [res, q] of Object.entries(v as Record<string, string>)) wants.push({ path: [k, res], value: q });
    else wants.push({ path: [k], value: v });
  }
  const record: AgentRecord = { added: [] };
  // Reserved by the request itself: reservedSystemCPUs or a non-zero cpu (a zero is no reservation).
  const explicit = !!desired.reservedSystemCPUs || [desired.kubeReserved, desired.systemReserved].some((m) => (parseQuantity(m?.cpu) ?? 0) > 0);
  if (desired.cpuManagerPolicy === 'static') {
    const next = applyEditsToValue(before, wants.map((w) => ({ path: w.path, value: w.value })));
    if (reservedCpuMillis(next) <= 0 && !explicit) {
      // The kubelet refuses reservedSystemCPUs next to systemReservedCgroup/kubeReservedCgroup: there one CPU is
      // reserved through systemReserved.cpu (kubeReserved.cpu when the request sets systemReserved.cpu itself).
      if (next.systemReservedCgroup || next.kubeReservedCgroup) {
        const via = desired.systemReserved && 'cpu' in desired.systemReserved ? 'kubeReserved' : 'systemReserved';
        wants.push({ path: [via, 'cpu'], value: '1', added: true });
      } else {
        wants.push({ path: ['reservedSystemCPUs'], value: '0', added: true });
      }
    }
  }
  for (const a of recordIn.added) {
    const stillMine = sameValue(valueAt(byFile.get(a.file)?.value, a.path), a.value);
    const asked = wants.some((w) => pathName(w.path) === pathName(a.path));
    // fedfeat's own reservation goes when the policy goes back to none, and when the request reserves CPU
    // itself (the kubelet would otherwise let fedfeat's reservedSystemCPUs replace the requested figure).
    if ((desired.cpuManagerPolicy === 'none' || explicit) && stillMine && !asked) {
      const parent = valueAt(byFile.get(a.file)?.value, a.path.slice(0, -1));
      const dropParent = a.createdParent && a.path.length > 1 && isObj(parent) && Object.keys(parent).length === 1;
      wants.push({ path: dropParent ? a.path.slice(0, -1) : a.path, remove: true, file: a.file });
    } else if (stillMine && !asked) {
      record.added.push(a); // still there, still fedfeat's
    }
  }

  const edits = new Map<string, ConfigEdit[]>();
  const changed: string[] = [];
  for (const w of wants) {
    if (w.remove) {
      edits.set(w.file!, [...(edits.get(w.file!) ?? []), { path: w.path, delete: true }]);
      changed.push(`-${pathName(w.path)}`);
      continue;
    }
    if (sameValue(valueAt(before, w.path), w.value)) {
      if (w.added) {
        const owner = decidingLayer(layers, w.path);
        const prior = recordIn.added.find((a) => pathName(a.path) === pathName(w.path));
        if (prior && owner?.source === prior.file) record.added.push(prior);
      }
      continue;
    }
    const owner = decidingLayer(layers, w.path);
    if (owner?.isFlags) {
      const flag = flagSettings(src.argv).find((f) => f.field === w.path[0])!;
      throw new UnsafeSetting(`${pathName(w.path)} is set by the kubelet flag ${flag.flag} on its command line, which wins over every config file: change it where this node sets its kubelet flags`);
    }
    // Not set anywhere: the main file, else the first drop-in (no later file sets it, or it would decide).
    const file = owner?.source ?? parsed[0]!.file;
    const target = byFile.get(file)!;
    edits.set(file, [...(edits.get(file) ?? []), { path: w.path, value: w.value }]);
    changed.push(pathName(w.path));
    if (w.added) record.added.push({ file, path: w.path, value: w.value, createdParent: w.path.length > 1 && !hasPath(target.value, w.path.slice(0, -1)) });
  }
  if (!changed.length) return { writes: [], changed, cpuStateInvalid: false, record, effective: before };

  const writes: ConfigFile[] = [];
  const afterParsed = parsed.map((p) => {
    const e = edits.get(p.file);
    if (!e) return p;
    const text = editKubeletConfig(p, e);
    writes.push({ path: p.file, text });
    return parseKubeletConfig(text, p.file);
  });
  const afterLayers = layersOf(afterParsed, src.argv);
  const after = effectiveConfig(afterLayers);
  // The kubelet must end up with exactly the requested change: nothing else may move (a drop-in that
  // removes a mapping with null, edited, would bring back what it removed).
  let expected = applyEditsToValue(before, wants.filter((w) => !w.remove).map((w) => ({ path: w.path, value: w.value })));
  for (const w of wants.filter((x) => x.remove)) {
    // Taking fedfeat's value out may show an earlier file's value again: that is the node's own.
    const v = valueAt(after, w.path);
    expected = applyEditsToValue(expected, [v === undefined ? { path: w.path, delete: true } : { path: w.path, value: v }]);
  }
  const moved = [...new Set([...Object.keys(expected), ...Object.keys(after)])].filter((k) => !sameValue(expected[k], after[k]));
  if (moved.length) {
    const files = [...new Set(wants.map((w) => decidingLayer(layers, w.path)?.source).filter(Boolean))];
    throw new UnsafeSetting(`editing ${files.join(', ')} would change more than asked (${moved.join(', ')} would differ from what the kubelet runs with now): change it there by hand`);
  }
  const problems = kubeletProblems(after);
  if (problems.length) {
    const from = (k: string) => decidingLayer(afterLayers, [k])?.source;
    const where = ['reservedSystemCPUs', 'systemReservedCgroup', 'kubeReservedCgroup', 'kubeReserved', 'systemReserved', 'cpuManagerPolicy']
      .filter((k) => after[k] !== undefined && problems.some((p) => new RegExp(`\\b${k}\\b`).test(p))).map((k) => `${k} from ${from(k)}`);
    throw new UnsafeSetting(`refusing to write a kubelet configuration the kubelet would reject: ${problems.join('; ')}${where.length ? ` (${where.join(', ')})` : ''}`);
  }
  const policy = (c: Record<string, unknown>) => (c.cpuManagerPolicy as string | undefined) ?? 'none';
  const cpuStateInvalid = policy(before) !== policy(after)
    || (policy(after) === 'static' && (!sameValue(before.reservedSystemCPUs, after.reservedSystemCPUs) || reservedCpuMillis(before) !== reservedCpuMillis(after)));
  return { writes, changed, cpuStateInvalid, record, effective: after };
}

export interface MergeResult {
  text: string;
  changed: string[];
  /** True when the CPU manager's state file must go before the kubelet restarts (policy or reserved CPUs changed). */
  cpuPolicyChanged: boolean;
  record: AgentRecord;
}

/** One config file, no drop-ins, no flags: the desired settings merged into its text (pure). */
export function mergeKubeletConfig(text: string, desired: KubeletSettings, record?: AgentRecord, path = 'kubelet config'): MergeResult {
  const plan = planKubeletChange({ main: { path, text }, dropins: [], argv: [] }, desired, record);
  return { text: plan.writes[0]?.text ?? text, changed: plan.changed, cpuPolicyChanged: plan.cpuStateInvalid, record: plan.record };
}
