// Packing a folder into a single-layer image archive in the `docker save`
// format, which `ctr images import` reads and names from RepoTags. There is no
// registry on these machines, so every image fedfeat runs is built this way.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ImageSpec {
  /** Full reference with a registry host, so containerd does not rewrite it to docker.io. */
  reference: string;
  rootfs: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
}

/** The image config (pure): what the runtime needs to start a container from the layer. */
export function imageConfig(spec: ImageSpec, layerDiffId: string): Record<string, unknown> {
  return {
    architecture: 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: {
      Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [layerDiffId] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'fedfeat local-federation/images' }],
  };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Writes the archive to `out` and returns the image's config digest (its image ID). */
export function buildImageArchive(spec: ImageSpec, out: string): string {
  const work = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-image-'));
  try {
    const layer = path.join(work, 'layer.tar');
    // Reproducible layer: sorted entries, fixed times and owners.
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', spec.rootfs, '-cf', layer, '.']);
    const diffId = `sha256:${sha256(readFileSync(layer))}`;
    const config = JSON.stringify(imageConfig(spec, diffId));
    const configDigest = sha256(config);
    writeFileSync(path.join(work, `${configDigest}.json`), config);
    writeFileSync(
      path.join(work, 'manifest.json'),
      JSON.stringify([{ Config: `${configDigest}.json`, RepoTags: [spec.reference], Layers: ['layer.tar'] }]),
    );
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', work, '-cf', out, 'manifest.json', `${configDigest}.json`, 'layer.tar']);
    return `sha256:${configDigest}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
