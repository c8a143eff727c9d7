// The node agent's file steps (I/O, tested with a fake file system): back the
// kubelet config up, write the merged config atomically with the same mode,
// drop the CPU manager's state file when the policy changes, and roll back to
// the backup when the kubelet does not come back healthy.
import { chmodSync, copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { KubeletSettings } from '../../api/featureconfig.js';
import { KNOWN_CONFIG_PATHS, configFlag, mergeKubeletConfig } from './config-file.js';

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

export interface ApplyResult {
  configPath: string;
  changed: string[];
  backup?: string;
  removedCpuManagerState: boolean;
}

export function applyKubeletSettings(configPath: string, desired: KubeletSettings, stateFile = CPU_MANAGER_STATE): ApplyResult {
  const before = readFileSync(configPath, 'utf8');
  const merged = mergeKubeletConfig(before, desired);
  if (!merged.changed.length) return { configPath, changed: [], removedCpuManagerState: false };
  const backup = backupPath(configPath);
  // The first backup is the node's own config; a retry must not overwrite it with a half-applied one.
  if (!existsSync(backup)) copyFileSync(configPath, backup);
  copyFileSync(configPath, previousPath(configPath));
  const mode = statSync(configPath).mode & 0o7777;
  const tmp = `${configPath}.fedfeat-tmp`;
  writeFileSync(tmp, merged.text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, configPath);
  // The kubelet refuses to start when the policy in its state file differs from its config.
  const removeState = merged.cpuPolicyChanged && existsSync(stateFile);
  if (removeState) rmSync(stateFile);
  return { configPath, changed: merged.changed, backup, removedCpuManagerState: removeState };
}

function restore(from: string, configPath: string, stateFile: string): boolean {
  if (!existsSync(from)) return false;
  copyFileSync(from, configPath);
  // The state file was written for the config being undone; the kubelet rebuilds it.
  if (existsSync(stateFile)) rmSync(stateFile);
  return true;
}

/** Undoes the latest change (the kubelet did not come back healthy with it). */
export function rollback(configPath: string, stateFile = CPU_MANAGER_STATE): boolean {
  return restore(previousPath(configPath), configPath, stateFile);
}

/** Puts the node's own config back and forgets fedfeat's backups. */
export function revert(configPath: string, stateFile = CPU_MANAGER_STATE): boolean {
  const done = restore(backupPath(configPath), configPath, stateFile);
  if (done) for (const p of [backupPath(configPath), previousPath(configPath)]) rmSync(p, { force: true });
  return done;
}
