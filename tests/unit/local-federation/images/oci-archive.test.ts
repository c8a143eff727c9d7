import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImageArchive } from '../../../../local-federation/images/oci-archive.js';

describe('image archives', () => {
  it('writes a docker-save archive whose config names the layer by its digest', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-img-test-'));
    const rootfs = path.join(work, 'rootfs');
    mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    writeFileSync(path.join(rootfs, 'bin', 'hello'), 'hi');
    const out = path.join(work, 'img.tar');
    const id = buildImageArchive({ reference: 'fedfeat.local/test:1', rootfs, entrypoint: ['/bin/hello'] }, out);
    const unpacked = path.join(work, 'x');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xf', out, '-C', unpacked]);
    const manifest = JSON.parse(readFileSync(path.join(unpacked, 'manifest.json'), 'utf8')) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    expect(manifest[0]!.RepoTags).toEqual(['fedfeat.local/test:1']);
    expect(`sha256:${manifest[0]!.Config.replace('.json', '')}`).toBe(id);
    const config = JSON.parse(readFileSync(path.join(unpacked, manifest[0]!.Config), 'utf8')) as { rootfs: { diff_ids: string[] }; config: { Entrypoint: string[] } };
    const layerDigest = execFileSync('sha256sum', [path.join(unpacked, 'layer.tar')], { encoding: 'utf8' }).split(' ')[0];
    expect(config.rootfs.diff_ids).toEqual([`sha256:${layerDigest}`]);
    expect(config.config.Entrypoint).toEqual(['/bin/hello']);
    // Reproducible: the same folder gives the same image ID.
    expect(buildImageArchive({ reference: 'fedfeat.local/test:1', rootfs, entrypoint: ['/bin/hello'] }, path.join(work, 'again.tar'))).toBe(id);
  });
});
