// The images the local federation's real node runs: the pod sandbox ("pause")
// and a small tool image (busybox: sh, httpd, wget, nc, ...). Built from this
// repository and Debian's busybox-static, never pulled.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../repo-root.js';
import { buildImageArchive } from './oci-archive.js';

export const PAUSE_IMAGE = 'fedfeat.local/pause:3.10';
export const TOOLS_IMAGE = 'fedfeat.local/tools:1.0';
/** The kubelet tactic's node agent: this machine's node binary and the agent's compiled code. */
export const NODE_AGENT_IMAGE = 'fedfeat.local/node-agent:0.1.0';
export const NODE_AGENT_COMMAND = ['/usr/local/bin/node', '/app/dist/daemonset-scripts/kubelet-agent/main.js'];

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

function buildNodeAgent(outDir: string): BuiltImage {
  const agentDir = path.join(repoRoot, 'dist', 'daemonset-scripts', 'kubelet-agent');
  if (!existsSync(path.join(agentDir, 'main.js'))) throw new Error(`${agentDir}/main.js is missing: compile first (npx tsc -p .)`);
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-agent-'));
  try {
    const node = realpathSync(process.execPath);
    mkdirSync(path.join(rootfs, 'usr/local/bin'), { recursive: true });
    copyFileSync(node, path.join(rootfs, 'usr/local/bin/node'));
    for (const lib of sharedLibraries(node)) copyInto(rootfs, lib);
    for (const d of ['bin', 'tmp', 'etc']) mkdirSync(path.join(rootfs, d), { recursive: true });
    copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
    for (const a of ['sh', 'nsenter', 'cat', 'ls']) symlinkSync('busybox', path.join(rootfs, 'bin', a));
    const app = path.join(rootfs, 'app');
    cpSync(agentDir, path.join(app, 'dist', 'daemonset-scripts', 'kubelet-agent'), { recursive: true });
    cpSync(path.join(repoRoot, 'node_modules', 'yaml'), path.join(app, 'node_modules', 'yaml'), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'fedfeat-node-agent', private: true, type: 'module' }));
    const archive = path.join(outDir, 'node-agent.tar');
    const id = buildImageArchive({ reference: NODE_AGENT_IMAGE, rootfs, entrypoint: NODE_AGENT_COMMAND }, archive);
    return { reference: NODE_AGENT_IMAGE, archive, id };
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

export function buildImages(outDir: string): BuiltImage[] {
  mkdirSync(outDir, { recursive: true });
  return [buildPause(outDir), buildTools(outDir), buildNodeAgent(outDir)];
}
