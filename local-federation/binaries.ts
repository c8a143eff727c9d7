// Locating the Kubernetes binaries: KUBEBUILDER_ASSETS if it holds them all,
// else the per-version cache that kube-binaries/build.sh fills (building only
// what is missing).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './repo-root.js';

export const REQUIRED_BINARIES = [
  'crictl',
  'etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'kubectl', 'kubelet', 'kwok',
] as const;
export type BinaryName = (typeof REQUIRED_BINARIES)[number];

export function missingBinaries(dir: string): string[] {
  return REQUIRED_BINARIES.filter((b) => !existsSync(path.join(dir, b)));
}

/** The folder holding every binary, building into the cache when needed (progress on stderr). */
export function ensureBinaries(): string {
  const script = path.join(repoRoot, 'kube-binaries', 'build.sh');
  const out = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' }).trim();
  const dir = out.split('\n').pop() ?? '';
  const missing = missingBinaries(dir);
  if (missing.length) throw new Error(`binaries missing from ${dir}: ${missing.join(', ')}`);
  return dir;
}

export const binary = (dir: string, name: BinaryName) => path.join(dir, name);
