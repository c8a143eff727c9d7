// The node agent's file steps (I/O, tested with a fake file system): find the
// kubelet's config file and drop-in directory, read them, write the files the
// plan (config-file.ts, pure) changes — each backed up first, written
// atomically with the same mode — keep the record of what fedfeat added, drop
// the CPU manager's state file when it no longer fits, and roll back to the
// previous files when the kubelet does not come back healthy.
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeletSettings } from '../../api/featureconfig.js';
import { KNOWN_CONFIG_PATHS, configDirFlag, configFlag, kubeletFlag, planKubeletChange, type AgentRecord, type KubeletSources } from './config-file.js';
import { dropinOrder } from './kubelet-rules.js';

export const CPU_MANAGER_STATE = '/var/lib/kubelet/cpu_manager_state';
/** The node's own config from before fedfeat's first change: what revert restores. */
export const backupPath = (configPath: string) => `${configPath}.fedfeat-backup`;
/** The config from before the latest change: what a failed change rolls back to. */
export const previousPath = (configPath: string) => `${configPath}.fedfeat-previous`;

/** The config file of the running kubelet: its --config flag, else the first known vendor path present. */
export function locateConfig(kubeletArgv: string[] | undefined, exists: (p: string) => boolean = existsSync): string {
  const flag = kubeletArgv && configFlag(kubeletArgv);
  if (flag) return flag;
  const found = KNOWN_CONFIG_PATHS.find((p) => exists(p));
  if (!found) throw new Error(`kubelet runs without --config and none of ${KNOWN_CONFIG_PATHS.join(', ')} exists: this node's kubelet is configured by flags only, which fedfeat does not edit`);
  return found;
}

/** Everything the agent reads and writes on a node. Paths are the kubelet's; `hostRoot` is where the host's / is mounted. */
export interface NodeFiles {
  /** The --config file (or a known vendor path). */
  main?: string;
  /** The --config-dir drop-in directory. */
  dropinDir?: string;
  /** The kubelet's command line. */
  argv: string[];
  hostRoot: string;
  /** The CPU manager's state file (kubelet path). */
  stateFile: string;
  /** fedfeat's record of what it added (kubelet path; never a ".conf" name, so the kubelet ignores it). */
  recordFile: string;
}

/** The files of the running kubelet from its command line: --config (else a vendor path) and --config-dir. */
export function nodeFiles(argv: string[], hostRoot = '', exists: (p: string) => boolean = existsSync): NodeFiles {
  const on = (p: string) => path.join(hostRoot || '/', p);
  const dropinDir = configDirFlag(argv);
  let main = configFlag(argv);
  if (!main && !dropinDir) main = locateConfig(argv, (p) => exists(on(p)));
  const root = kubeletFlag(argv, 'root-dir') ?? '/var/lib/kubelet';
  const recordFile = main ? `${main}.fedfeat-record.json` : path.join(dropinDir!, 'fedfeat-record.json');
  return { main, dropinDir, argv, hostRoot, stateFile: path.join(root, 'cpu_manager_state'), recordFile };
}

const rmIfExists = (p: string) => {
  if (existsSync(p)) rmSync(p);
};

const on = (f: NodeFiles, p: string) => (f.hostRoot ? path.join(f.hostRoot, p) : p);

/** The drop-ins, walked as the kubelet walks them (relative paths, into subdirectories). */
function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else out.push(r);
  }
  return out;
}

/** Reads the kubelet's config file and drop-ins in its merge order (a missing --config-dir stops the kubelet too: said so). */
export function readSources(f: NodeFiles): KubeletSources {
  const src: KubeletSources = { dropins: [], argv: f.argv, dropinDir: f.dropinDir };
  if (f.main) src.main = { path: f.main, text: readFileSync(on(f, f.main), 'utf8') };
  if (f.dropinDir) {
    const dir = on(f, f.dropinDir);
    if (!existsSync(dir)) throw new Error(`the kubelet's --config-dir ${f.dropinDir} does not exist`);
    src.dropins = dropinOrder(walk(dir)).map((r) => ({ path: path.join(f.dropinDir!, r), text: readFileSync(path.join(dir, r), 'utf8') }));
  }
  return src;
}

export function readRecord(f: NodeFiles): AgentRecord {
  const p = on(f, f.recordFile);
  if (!existsSync(p)) return { added: [] };
  try {
    const r = JSON.parse(readFileSync(p, 'utf8')) as AgentRecord;
    return Array.isArray(r.added) ? r : { added: [] };
  } catch {
    return { added: [] };
  }
}

export interface ApplyResult {
  /** The files written (kubelet paths). */
  written: string[];
  changed: string[];
  removedCpuManagerState: boolean;
  record: AgentRecord;
}

function writeAtomic(file: string, text: string): void {
  const mode = existsSync(file) ? statSync(file).mode & 0o7777 : 0o644;
  const tmp = `${file}.fedfeat-tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** Every file fedfeat may have touched on this node (agent paths). */
function touchable(f: NodeFiles, src: KubeletSources): string[] {
  return [...(src.main ? [src.main.path] : []), ...src.dropins.map((d) => d.path)].map((p) => on(f, p));
}

/** Plans and writes the change; throws (naming the rule and the file) rather than write what the kubelet would refuse. */
export function applyToKubelet(f: NodeFiles, desired: KubeletSettings): ApplyResult {
  const src = readSources(f);
  const record = readRecord(f);
  const plan = planKubeletChange(src, desired, record);
  const recordFile = on(f, f.recordFile);
  if (!plan.writes.length) {
    if (JSON.stringify(plan.record) !== JSON.stringify(record)) writeAtomic(recordFile, JSON.stringify(plan.record));
    return { written: [], changed: [], removedCpuManagerState: false, record: plan.record };
  }
  // The previous files are those of this change only: a rollback must not restore an older one.
  for (const p of [...touchable(f, src), recordFile]) rmIfExists(previousPath(p));
  writeFileSync(previousPath(recordFile), JSON.stringify(record));
  for (const w of plan.writes) {
    const file = on(f, w.path);
    // The first backup is the node's own file; a retry must not overwrite it with a half-applied one.
    if (!existsSync(backupPath(file))) copyFileSync(file, backupPath(file));
    copyFileSync(file, previousPath(file));
  }
  for (const w of plan.writes) writeAtomic(on(f, w.path), w.text);
  writeAtomic(recordFile, JSON.stringify(plan.record));
  // The kubelet refuses to start when its state file was written for another policy or other reserved CPUs.
  const stateFile = on(f, f.stateFile);
  const removeState = plan.cpuStateInvalid && existsSync(stateFile);
  if (removeState) rmSync(stateFile);
  return { written: plan.writes.map((w) => w.path), changed: plan.changed, removedCpuManagerState: removeState, record: plan.record };
}

/** One config file, no drop-ins (kept for callers with a path in hand). */
export function applyKubeletSettings(configPath: string, desired: KubeletSettings, stateFile = CPU_MANAGER_STATE): ApplyResult & { configPath: string; backup?: string } {
  const r = applyToKubelet({ main: configPath, argv: [], hostRoot: '', stateFile, recordFile: `${configPath}.fedfeat-record.json` }, desired);
  return { ...r, configPath, backup: r.written.length ? backupPath(configPath) : undefined };
}

function filesOf(f: NodeFiles): string[] {
  let src: KubeletSources | undefined;
  try {
    src = readSources(f);
  } catch {
    src = { dropins: [], argv: f.argv, main: f.main ? { path: f.main, text: '' } : undefined };
  }
  return touchable(f, src);
}

function dropState(f: NodeFiles): void {
  // The state file was written for the config being undone; the kubelet rebuilds it.
  const s = on(f, f.stateFile);
  if (existsSync(s)) rmSync(s);
}

/** Undoes the latest change (the kubelet did not come back healthy with it). */
export function rollbackKubelet(f: NodeFiles): boolean {
  let done = false;
  for (const p of [...filesOf(f), on(f, f.recordFile)]) {
    if (!existsSync(previousPath(p))) continue;
    copyFileSync(previousPath(p), p);
    rmSync(previousPath(p));
    done = true;
  }
  if (done) dropState(f);
  return done;
}

/** Puts the node's own files back and forgets fedfeat's backups and record. */
export function revertKubelet(f: NodeFiles): boolean {
  let done = false;
  for (const p of filesOf(f)) {
    if (existsSync(backupPath(p))) {
      copyFileSync(backupPath(p), p);
      done = true;
    }
  }
  if (done) dropState(f);
  for (const p of [...filesOf(f), on(f, f.recordFile)]) for (const x of [backupPath(p), previousPath(p)]) rmIfExists(x);
  rmIfExists(on(f, f.recordFile));
  return done;
}

const single = (configPath: string, stateFile: string): NodeFiles => ({ main: configPath, argv: [], hostRoot: '', stateFile, recordFile: `${configPath}.fedfeat-record.json` });
/** rollbackKubelet for one config file. */
export const rollback = (configPath: string, stateFile = CPU_MANAGER_STATE) => rollbackKubelet(single(configPath, stateFile));
/** revertKubelet for one config file. */
export const revert = (configPath: string, stateFile = CPU_MANAGER_STATE) => revertKubelet(single(configPath, stateFile));
