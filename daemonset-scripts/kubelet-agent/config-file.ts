// The kubelet's configuration file, edited without losing anything (pure):
// find it, merge the desired fields into it keeping every other field, the
// comments and the format (YAML or JSON, indentation), and make the static
// CPU manager policy safe by reserving CPU. Fields the agent does not know how
// to apply safely are refused with the reason.
import { isDeepStrictEqual } from 'node:util';
import { isMap, parseDocument } from 'yaml';
import type { KubeletSettings } from '../../api/featureconfig.js';

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
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** The kubelet's --config path. */
export const configFlag = (argv: string[]): string | undefined => kubeletFlag(argv, 'config');

/** Fields the agent applies, with the check each value must pass. */
const SAFE_FIELDS: Record<keyof KubeletSettings, (v: unknown) => string | undefined> = {
  cpuManagerPolicy: (v) => (v === 'none' || v === 'static' ? undefined : 'must be none or static'),
  reservedSystemCPUs: (v) => (typeof v === 'string' && /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v) ? undefined : 'must be a cpuset list such as "0" or "0-1,4"'),
  kubeReserved: (v) => (isQuantities(v) ? undefined : 'must map resource names to quantities'),
  systemReserved: (v) => (isQuantities(v) ? undefined : 'must map resource names to quantities'),
  containerLogMaxSize: (v) => (typeof v === 'string' && /^\d+(Ki|Mi|Gi)$/.test(v) ? undefined : 'must be a size such as 10Mi'),
  containerLogMaxFiles: (v) => (Number.isInteger(v) && (v as number) >= 2 ? undefined : 'must be a whole number of at least 2'),
  imageGCHighThresholdPercent: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100 ? undefined : 'must be a percentage'),
  imageGCLowThresholdPercent: (v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100 ? undefined : 'must be a percentage'),
};

function isQuantities(v: unknown): boolean {
  return !!v && typeof v === 'object' && Object.values(v as Record<string, unknown>).every((q) => typeof q === 'string' && /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.test(q));
}

export class UnsafeSetting extends Error {}

/** Refuses what the agent cannot apply safely; names every problem. */
export function checkSettings(desired: Record<string, unknown>): void {
  const problems = Object.entries(desired).flatMap(([k, v]) => {
    const check = SAFE_FIELDS[k as keyof KubeletSettings];
    if (!check) return [`${k}: fedfeat does not change this kubelet field (it can change: ${Object.keys(SAFE_FIELDS).join(', ')})`];
    const why = check(v);
    return why ? [`${k}: ${why} (got ${JSON.stringify(v)})`] : [];
  });
  if (problems.length) throw new UnsafeSetting(problems.join('; '));
}

/** With the static policy the kubelet needs CPU reserved; reserve CPU 0 unless something already is. */
export function withReservedCpu(desired: KubeletSettings, current: Record<string, unknown>): KubeletSettings {
  if (desired.cpuManagerPolicy !== 'static') return desired;
  const merged = { ...current, ...desired } as Record<string, unknown>;
  const hasCpu = (m: unknown) => !!m && typeof m === 'object' && 'cpu' in (m as object);
  if (merged.reservedSystemCPUs || hasCpu(merged.kubeReserved) || hasCpu(merged.systemReserved)) return desired;
  return { ...desired, reservedSystemCPUs: '0' };
}

export interface MergeResult {
  text: string;
  changed: string[];
  /** True when the CPU manager policy changes: its state file must go before the kubelet restarts. */
  cpuPolicyChanged: boolean;
}

/** Merges desired settings into the file's text, keeping its format (pure). */
export function mergeKubeletConfig(text: string, desiredIn: KubeletSettings): MergeResult {
  checkSettings(desiredIn as Record<string, unknown>);
  const json = text.trimStart().startsWith('{');
  const current = (json ? JSON.parse(text) : parseDocument(text).toJS()) as Record<string, unknown> | null;
  if (!current || typeof current !== 'object' || Array.isArray(current)) throw new Error('kubelet config file does not hold an object');
  if (current.kind !== undefined && current.kind !== 'KubeletConfiguration') throw new Error(`kubelet config file holds a ${String(current.kind)}, not a KubeletConfiguration`);
  const desired = withReservedCpu(desiredIn, current);
  const changed: string[] = [];
  const next: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    if (v === undefined) continue;
    // Resource maps merge per resource: reserving CPU keeps a reserved memory figure.
    const value = (k === 'kubeReserved' || k === 'systemReserved') ? { ...((current[k] as object) ?? {}), ...(v as object) } : v;
    if (!isDeepStrictEqual(current[k], value)) {
      changed.push(k);
      next[k] = value;
    }
  }
  const cpuPolicyChanged = 'cpuManagerPolicy' in next && (current.cpuManagerPolicy ?? 'none') !== next.cpuManagerPolicy;
  if (!changed.length) return { text, changed, cpuPolicyChanged: false };
  if (json) {
    const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
    const out = { ...current, ...next };
    return { text: JSON.stringify(out, null, indent) + (text.endsWith('\n') ? '\n' : ''), changed, cpuPolicyChanged };
  }
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) throw new Error('kubelet config file does not hold a YAML mapping');
  for (const [k, v] of Object.entries(next)) doc.set(k, v);
  return { text: doc.toString(), changed, cpuPolicyChanged };
}
