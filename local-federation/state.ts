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

/** One real node (containerd, kubelet, kube-proxy in its own network namespace and cgroup subtree). */
export interface RealNodeState {
  member: string;
  nodeName: string;
  /** 1-based position among the member's real nodes. */
  ordinal: number;
  netns: string;
  hostVeth: string;
  /** The host's address on the node subnet (the nodes' gateway). */
  hostIP: string;
  nodeIP: string;
  /** The node subnet shared by the member's real nodes. */
  subnet: string;
  /** This node's folder: kubelet and kube-proxy configuration, containerd root, certificates. */
  dir: string;
  kubeletConfig: string;
  containerdSocket: string;
  cgroupRoot: string;
  /** Assigned by the member's controller-manager once the kubelet registers. */
  podCidr?: string;
  /** Resident memory of the node's own processes when `up` finished (containerd with its shims, kubelet, kube-proxy). */
  memory?: RealNodeMemory;
}

export interface RealNodeMemory {
  containerdMiB: number;
  kubeletMiB: number;
  kubeProxyMiB: number;
  totalMiB: number;
}

/** The real nodes' network (a bridge as the node subnet), recorded before it is made so `down` can remove a half-made one. */
export interface RealNetworkState {
  member: string;
  index: number;
  bridge: string;
  hostIP: string;
  subnet: string;
  clusterCidr: string;
  nodes: Array<{ ordinal: number; netns: string; hostVeth: string; nodeVeth: string; nodeIP: string }>;
}

export interface FederationState {
  instance: string;
  dir: string;
  startedAt: string;
  phase: 'starting' | 'running' | 'stopping';
  etcd?: { endpoint: string };
  clusters: ClusterState[];
  processes: ProcessRecord[];
  /** member-1's real nodes, in order; recorded before they start, so `down` can remove half-made ones. */
  realNodes?: RealNodeState[];
  realNetwork?: RealNetworkState;
  /** The host cluster's real node (the controller's Deployment runs there); recorded before it starts. */
  hostNode?: RealNodeState;
  /** Why the real nodes were skipped, when they were. */
  realNodeSkipped?: string;
  /**
   * Calico built from source (calico-build/build.sh) with its images imported into the real nodes: the manifest
   * (the official release one from the source) and the registry that names the imported images. Absent with
   * FEDFEAT_CALICO=off or without real nodes.
   */
  calico?: { version: string; manifest: string; imageRegistry: string; images: string[] };
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
