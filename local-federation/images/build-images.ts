// The images the local federation's real node runs: the pod sandbox ("pause")
// and a small tool image (busybox: sh, httpd, wget, nc, ...). Built from this
// repository and Debian's busybox-static, never pulled.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../repo-root.js';
import { buildImageArchive } from './oci-archive.js';

export const PAUSE_IMAGE = 'fedfeat.local/pause:3.10';
export const TOOLS_IMAGE = 'fedfeat.local/tools:1.0';
/**
 * fedfeat's own image, as the Dockerfile makes it (one image for the controller, the PodPreset webhook and the
 * kubelet tactic's node agent): this machine's node binary with its libraries, the compiled code and the
 * production node_modules. Entrypoint `node /app/bin/fedfeat.js`.
 */
export const FEDFEAT_IMAGE = 'fedfeat.local/fedfeat:0.1.0';
/** The kubelet tactic's node agent runs from fedfeat's image. */
export const NODE_AGENT_IMAGE = FEDFEAT_IMAGE;
const FEDFEAT_ENTRYPOINT = ['/usr/local/bin/node', '/app/bin/fedfeat.js'];

export interface BuiltImage {
  reference: string;
  archive: string;
  id: string;
}

const BUSYBOX = '/bin/busybox';

function buildPause(outDir: string): BuiltImage {
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-pause-'));
  try {
    execFileSync('gcc', ['-static', '-Os', '-s', '-o', path.join(rootfs, 'pause'), path.join(repoRoot, 'local-federation', 'images', 'pause.c')]);
    const archive = path.join(outDir, 'pause.tar');
    const id = buildImageArchive({ reference: PAUSE_IMAGE, rootfs, entrypoint: ['/pause'] }, archive);
    return { reference: PAUSE_IMAGE, archive, id };
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

function buildTools(outDir: string): BuiltImage {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static (local-federation/install-system-packages.sh)`);
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-tools-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'var/www']) mkdirSync(path.join(rootfs, d), { recursive: true });
    copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
    for (const a of applets) symlinkSync('busybox', path.join(rootfs, 'bin', a));
    writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    const archive = path.join(outDir, 'tools.tar');
    const id = buildImageArchive({ reference: TOOLS_IMAGE, rootfs, cmd: ['/bin/sh'] }, archive);
    return { reference: TOOLS_IMAGE, archive, id };
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** Shared libraries a dynamically linked binary loads, from ldd (the loader included). */
function sharedLibraries(binary: string): string[] {
  return execFileSync('ldd', [binary], { encoding: 'utf8' }).split('\n')
    .map((l) => /=>\s+(\/\S+)/.exec(l)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(l)?.[1])
    .filter((p): p is string => !!p);
}

function copyInto(rootfs: string, file: string): void {
  const dest = path.join(rootfs, file);
  mkdirSync(path.dirname(dest), { recursive: true });
  copyFileSync(realpathSync(file), dest);
}

/**
 * Folders of the production dependencies (relative to the repository), resolved as Node does: from the
 * repository's package.json `dependencies`, each in the nearest node_modules, recursively. Missing optional
 * and peer dependencies are skipped; a missing required one is an error (run npm ci).
 */
export function productionPackages(root: string = repoRoot): string[] {
  const found = new Set<string>();
  const manifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
  };
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
      if (dir === root || dir === path.dirname(dir)) return undefined;
    }
  };
  const visit = (dir: string) => {
    const m = manifest(dir);
    const optional = new Set([...Object.keys(m.optionalDependencies ?? {}), ...Object.keys(m.peerDependencies ?? {})]);
    for (const name of new Set([...Object.keys(m.dependencies ?? {}), ...optional])) {
      const at = resolve(dir, name);
      if (!at) {
        if (optional.has(name)) continue;
        throw new Error(`${name} (needed by ${path.relative(root, dir) || 'fedfeat'}) is not installed: run npm ci`);
      }
      if (found.has(at)) continue;
      found.add(at);
      visit(at);
    }
  };
  visit(root);
  return [...found].map((d) => path.relative(root, d)).sort();
}

function buildFedfeat(outDir: string): BuiltImage {
  for (const f of ['dist/cli/main.js', 'dist/daemonset-scripts/kubelet-agent/main.js']) {
    if (!existsSync(path.join(repoRoot, f))) throw new Error(`${f} is missing: compile first (npx tsc -p .)`);
  }
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-image-'));
  try {
    const node = realpathSync(process.execPath);
    mkdirSync(path.join(rootfs, 'usr/local/bin'), { recursive: true });
    copyFileSync(node, path.join(rootfs, 'usr/local/bin/node'));
    for (const lib of sharedLibraries(node)) copyInto(rootfs, lib);
    for (const d of ['bin', 'tmp', 'etc']) mkdirSync(path.join(rootfs, d), { recursive: true });
    copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
    for (const a of ['sh', 'nsenter', 'cat', 'ls']) symlinkSync('busybox', path.join(rootfs, 'bin', a));
    writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/:/bin/false\n');
    const app = path.join(rootfs, 'app');
    // Compiled tests and benchmarks stay out: the image carries what runs in a cluster.
    cpSync(path.join(repoRoot, 'dist'), path.join(app, 'dist'), { recursive: true, filter: (src) => !/[\\/]dist[\\/](tests|benchmarks)([\\/]|$)/.test(src) });
    cpSync(path.join(repoRoot, 'bin'), path.join(app, 'bin'), { recursive: true });
    copyFileSync(path.join(repoRoot, 'package.json'), path.join(app, 'package.json'));
    // `fedfeat agent` applies the FeatureConfig and ClusterFeatureStatus CRDs on its member from these (as the Dockerfile copies them).
    cpSync(path.join(repoRoot, 'manifests', 'crds'), path.join(app, 'manifests', 'crds'), { recursive: true });
    for (const pkg of productionPackages()) cpSync(path.join(repoRoot, pkg), path.join(app, pkg), { recursive: true });
    const archive = path.join(outDir, 'fedfeat.tar');
    const id = buildImageArchive({ reference: FEDFEAT_IMAGE, rootfs, entrypoint: FEDFEAT_ENTRYPOINT }, archive);
    return { reference: FEDFEAT_IMAGE, archive, id };
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

export function buildImages(outDir: string): BuiltImage[] {
  mkdirSync(outDir, { recursive: true });
  return [buildPause(outDir), buildTools(outDir), buildFedfeat(outDir)];
}
