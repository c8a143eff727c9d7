// Calico's binaries, built from its source at the pinned tag by
// calico-build/build.sh into a per-version cache outside the repository
// (building only when the cache lacks them; several minutes on 2 cores).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './repo-root.js';

export const CALICO_VERSION = 'v3.28.2';
export const CALICO_BINARIES = ['calico-node', 'calico', 'calico-ipam', 'install', 'kube-controllers', 'check-status'] as const;
export type CalicoBinary = (typeof CALICO_BINARIES)[number];

/** The folder holding every Calico binary, building into the cache when needed (progress on stderr). */
export function ensureCalicoBinaries(): string {
  const script = path.join(repoRoot, 'calico-build', 'build.sh');
  const out = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, CALICO_VERSION } }).trim();
  const dir = out.split('\n').pop() ?? '';
  const missing = CALICO_BINARIES.filter((b) => !existsSync(path.join(dir, b)));
  if (missing.length) throw new Error(`Calico binaries missing from ${dir}: ${missing.join(', ')}`);
  return dir;
}

/** The extracted source tree beside the binaries (the image build takes Calico's own node filesystem from it). */
export const calicoSourceDir = (binDir: string) => path.join(path.dirname(binDir), 'src');
/** Calico's official release manifest in the extracted source. */
export const calicoManifestPath = (binDir: string, name: 'calico.yaml' | 'calico-policy-only.yaml' = 'calico.yaml') =>
  path.join(calicoSourceDir(binDir), 'manifests', name);

/** The vendored source tarball build.sh would use (FEDFEAT_CALICO_TARBALL, else ../shared/vendor beside the repository), if any. */
export function calicoTarball(): string | undefined {
  const candidates = [process.env.FEDFEAT_CALICO_TARBALL, ...['..', '../..'].map((up) => path.resolve(repoRoot, up, 'shared', 'vendor', `calico-${CALICO_VERSION}.tar.gz`))];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** One file of the tarball (path below its top folder), read without extracting the rest. */
export function readFromCalicoTarball(tarball: string, file: string): string {
  return execFileSync('tar', ['-xzOf', tarball, '--wildcards', `*/${file}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
}
