// The launcher's on-disk state: where each instance lives, which processes it
// started and how to reach its clusters. `down` works only from this file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessRecord } from './processes.js';

export interface ClusterState {
  name: string;
  role: 'host' | 'member';
  server: string;
  /** Admin kubeconfig (client certificate, system:masters). */
  kubeconfig: string;
  etcdPrefix: string;
  caCert: string;
  kwokNodes: string[];
}

export interface RealNodeState {
  member: string;
  nodeName: string;
  netns: string;
  hostVeth: string;
  hostIP: string;
  nodeIP: string;
  subnet: string;
  containerdSocket: string;
  cgroupRoot: string;
}

export interface FederationState {
  instance: string;
  dir: string;
  startedAt: string;
  phase: 'starting' | 'running' | 'stopping';
  etcd?: { endpoint: string };
  clusters: ClusterState[];
  processes: ProcessRecord[];
  /** Recorded as soon as its network namespace exists, so `down` can remove a half-made node. */
  realNode?: RealNodeState;
  /** Why the real node was skipped, when it was. */
  realNodeSkipped?: string;
  binDir: string;
  startupSeconds?: number;
  memoryMiB?: number;
}

/** Root of all instances: $FEDFEAT_HOME, else ~/.fedfeat. */
export function fedfeatHome(): string {
  return process.env.FEDFEAT_HOME ?? path.join(os.homedir(), '.fedfeat');
}

export function instanceDir(instance: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$/.test(instance)) {
    throw new Error(`instance name "${instance}" must be 1-16 lower-case letters, digits or '-'`);
  }
  return path.join(fedfeatHome(), 'federations', instance);
}

export const stateFile = (dir: string) => path.join(dir, 'state.json');

export function readState(dir: string): FederationState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as FederationState;
}

/** Written atomically (rename) after every started process, so a crash mid-`up` still lets `down` clean up. */
export function writeState(state: FederationState): void {
  mkdirSync(state.dir, { recursive: true });
  const tmp = stateFile(state.dir) + '.tmp';
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, stateFile(state.dir));
}
