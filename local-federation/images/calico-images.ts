// Calico's three images for the real nodes, built from the binaries
// calico-build/build.sh makes from Calico's source (no registry here):
// calico-node with Calico's own node filesystem (rc.local, runit service
// scripts, start_runit) and the tools Felix runs (iptables legacy and nft,
// ipset, ip, conntrack) taken with their libraries from this machine's Debian
// packages; the CNI image whose install program copies the plugins onto the
// node, as the official one does; kube-controllers. Named as the rewritten
// manifest names them with spec.calico.imageRegistry = CALICO_IMAGE_REGISTRY.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { calicoSourceDir, CALICO_VERSION } from '../calico-build.js';
import { buildImageArchive } from './oci-archive.js';
import type { BuiltImage } from './build-images.js';

export const CALICO_IMAGE_REGISTRY = 'fedfeat.local';
export const calicoImage = (name: 'node' | 'cni' | 'kube-controllers') => `${CALICO_IMAGE_REGISTRY}/calico/${name}:${CALICO_VERSION}`;

const BUSYBOX = '/bin/busybox';
const LIBDIR = '/usr/lib/x86_64-linux-gnu';
/** Felix's run-time tools (each with every name Felix or Calico's scripts call it by). */
const XTABLES = {
  'xtables-nft-multi': ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore',
    'iptables-nft', 'iptables-nft-save', 'iptables-nft-restore', 'ip6tables-nft', 'ip6tables-nft-save', 'ip6tables-nft-restore'],
  'xtables-legacy-multi': ['iptables-legacy', 'iptables-legacy-save', 'iptables-legacy-restore', 'ip6tables-legacy', 'ip6tables-legacy-save', 'ip6tables-legacy-restore'],
};
const TOOLS = ['/usr/sbin/ipset', '/usr/sbin/ip', '/usr/sbin/conntrack'];
const RUNIT = ['/usr/bin/runsvdir', '/usr/bin/runsv', '/usr/bin/sv', '/usr/bin/chpst', '/usr/bin/svlogd'];
/** Plugins the official calico/cni image ships beside calico and calico-ipam (Calico's conflist chains portmap and bandwidth). */
const CNI_PLUGINS = ['host-local', 'loopback', 'portmap', 'bandwidth', 'tuning'];
const SYSTEM_CNI = '/usr/lib/cni';

function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return []; // static
  }
  return out.split('\n').map((l) => /=>\s+(\/\S+)/.exec(l)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(l)?.[1]).filter((p): p is string => !!p);
}

/** Copies a file (and the libraries it loads) to the same path in the image. */
function copyWithLibs(rootfs: string, file: string): void {
  for (const f of [file, ...sharedLibraries(file)]) {
    const dest = path.join(rootfs, f);
    if (existsSync(dest)) continue;
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(realpathSync(f), dest);
  }
}

function busybox(rootfs: string, applets: string[]): void {
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
  for (const a of applets) if (!existsSync(path.join(rootfs, 'bin', a))) symlinkSync('busybox', path.join(rootfs, 'bin', a));
}

function basics(rootfs: string): void {
  for (const d of ['tmp', 'etc', 'var/log', 'run']) mkdirSync(path.join(rootfs, d), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\ncalico:x:999:999:calico:/:/bin/false\n');
  writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\ncalico:x:999:\n');
  for (const f of ['/etc/protocols', '/etc/services']) if (existsSync(f)) copyFileSync(f, path.join(rootfs, f));
}

/** What the calico-node image needs from this machine, or why it cannot be built (install-system-packages.sh adds it). */
export function calicoImagesUnavailableReason(): string | undefined {
  for (const f of [BUSYBOX, ...TOOLS, ...RUNIT, ...Object.keys(XTABLES).map((x) => `/usr/sbin/${x}`), ...CNI_PLUGINS.map((p) => `${SYSTEM_CNI}/${p}`)]) {
    if (!existsSync(f)) return `${f} is missing (run local-federation/install-system-packages.sh)`;
  }
  return undefined;
}

function buildNode(binDir: string, outDir: string): BuiltImage {
  const src = calicoSourceDir(binDir);
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-calico-node-'));
  try {
    basics(rootfs);
    // Calico's own node filesystem: rc.local, the runit services (felix, cni token monitor, ...), start_runit.
    cpSync(path.join(src, 'node', 'filesystem', 'etc'), path.join(rootfs, 'etc'), { recursive: true });
    mkdirSync(path.join(rootfs, 'usr', 'sbin'), { recursive: true });
    for (const f of readdirSync(path.join(src, 'node', 'filesystem', 'sbin'))) copyFileSync(path.join(src, 'node', 'filesystem', 'sbin', f), path.join(rootfs, 'usr', 'sbin', f));
    busybox(rootfs, ['sh', 'cat', 'cp', 'mkdir', 'rm', 'env', 'echo', 'ls', 'mv', 'touch', 'sleep', 'tee', 'grep', 'sed', 'test', '[', 'true', 'false', 'modprobe']);
    copyFileSync(path.join(binDir, 'calico-node'), path.join(rootfs, 'bin', 'calico-node'));
    // start_runit calls /usr/bin/which; the log services run under bash (file logging is off in the manifest).
    mkdirSync(path.join(rootfs, 'usr', 'bin'), { recursive: true });
    symlinkSync('/bin/busybox', path.join(rootfs, 'usr', 'bin', 'which'));
    symlinkSync('/bin/busybox', path.join(rootfs, 'bin', 'bash'));
    for (const f of [...RUNIT, ...TOOLS]) copyWithLibs(rootfs, f);
    for (const [multi, names] of Object.entries(XTABLES)) {
      copyWithLibs(rootfs, `/usr/sbin/${multi}`);
      for (const n of names) symlinkSync(multi, path.join(rootfs, 'usr', 'sbin', n));
    }
    // iptables loads its match and target extensions at run time.
    const ext = path.join(LIBDIR, 'xtables');
    for (const so of readdirSync(ext)) copyWithLibs(rootfs, path.join(ext, so));
    const reference = calicoImage('node');
    const archive = path.join(outDir, 'calico-node.tar');
    const id = buildImageArchive({ reference, rootfs, cmd: ['/usr/sbin/start_runit'] }, archive);
    return { reference, archive, id };
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

function buildCni(binDir: string, outDir: string): BuiltImage {
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-calico-cni-'));
  try {
    basics(rootfs);
    const bin = path.join(rootfs, 'opt', 'cni', 'bin');
    mkdirSync(bin, { recursive: true });
    for (const b of ['install', 'calico', 'calico-ipam']) copyFileSync(path.join(binDir, b), path.join(bin, b));
    for (const p of CNI_PLUGINS) copyFileSync(path.join(SYSTEM_CNI, p), path.join(bin, p));
    const reference = calicoImage('cni');
    const archive = path.join(outDir, 'calico-cni.tar');
    const id = buildImageArchive({ reference, rootfs, cmd: ['/opt/cni/bin/install'], env: ['PATH=/opt/cni/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, archive);
    return { reference, archive, id };
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

function buildKubeControllers(binDir: string, outDir: string): BuiltImage {
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-calico-kc-'));
  try {
    basics(rootfs);
    mkdirSync(path.join(rootfs, 'usr', 'bin'), { recursive: true });
    for (const b of ['kube-controllers', 'check-status']) copyFileSync(path.join(binDir, b), path.join(rootfs, 'usr', 'bin', b));
    // Where kube-controllers writes the status file its probes read (as the official image, writable by its user).
    mkdirSync(path.join(rootfs, 'status'), { mode: 0o777 });
    const reference = calicoImage('kube-controllers');
    const archive = path.join(outDir, 'calico-kube-controllers.tar');
    const id = buildImageArchive({ reference, rootfs, entrypoint: ['/usr/bin/kube-controllers'] }, archive);
    return { reference, archive, id };
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** The three images from the binaries in `binDir` (ensureCalicoBinaries()). */
export function buildCalicoImages(binDir: string, outDir: string): BuiltImage[] {
  const why = calicoImagesUnavailableReason();
  if (why) throw new Error(`cannot build Calico's images: ${why}`);
  mkdirSync(outDir, { recursive: true });
  return [buildNode(binDir, outDir), buildCni(binDir, outDir), buildKubeControllers(binDir, outDir)];
}
