import { inflateSync } from 'node:zlib';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePng, lineChart } from '../../evaluation/png-chart.js';
import { linearFit, percentile, summarize } from '../../evaluation/stats.js';
import { disruption } from '../../evaluation/load.js';
import { writeReport } from '../../evaluation/report.js';

describe('evaluation statistics', () => {
  it('summarizes with nearest-rank percentiles and sample stddev', () => {
    const s = summarize([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    expect(s).toMatchObject({ n: 10, min: 1, max: 10, p50: 5, p95: 10, p99: 10, mean: 5.5 });
    expect(s.stddev).toBeCloseTo(3.0277, 3);
    expect(percentile([], 50)).toBeNaN();
  });
  it('fits a line and says how straight it is', () => {
    expect(linearFit([1, 5, 10], [2, 10, 20])).toMatchObject({ slope: 2, intercept: 0, r2: 1 });
    expect(linearFit([1, 2, 3, 4], [1, 4, 9, 16]).r2).toBeLessThan(1);
  });
  it('counts failed requests and the longest gap between successes', () => {
    expect(disruption([{ t: 0, ms: 1 }, { t: 0.1, ms: null }, { t: 0.2, ms: null }, { t: 0.3, ms: 2 }, { t: 0.35, ms: 1 }])).toEqual({ ok: 3, failed: 2, longestGapMs: 300 });
  });
});

describe('PNG charts', () => {
  it('encodes a valid PNG whose pixels are the raster given', () => {
    const png = encodePng(2, 1, Buffer.from([255, 0, 0, 0, 0, 255]));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(2);
    expect(png.readUInt32BE(20)).toBe(1);
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
    expect([...inflateSync(png.subarray(41, 41 + idatLen))]).toEqual([0, 255, 0, 0, 0, 0, 255]);
  });
  it('draws series into the chart area and reports the axis bounds', () => {
    const { png, bounds } = lineChart([{ name: 'a', points: [[0, 1], [10, 5]] }]);
    expect(bounds).toMatchObject({ xMin: 0, xMax: 10, yMin: 0 });
    expect(bounds.yMax).toBeCloseTo(5.25);
    expect(png.length).toBeGreaterThan(100);
  });
});

describe('report', () => {
  it('writes results.json, report.md with a summary table, and the charts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-report-'));
    const table = writeReport(dir, {
      startedAt: '2026-01-01T00:00:00Z', machine: { cpus: 2, memoryGiB: 24 }, target: { kind: 'local', clusters: [] },
      timeToReconfigure: [{ feature: 'podpreset', member: 'member-2', seconds: [2, 4], summary: summarize([2, 4]) }],
      scaleMembers: { points: [{ members: 1, applyToAllSupportedSeconds: 2, controllerCpuSeconds: 1, controllerRssMiB: 90 }, { members: 5, applyToAllSupportedSeconds: 6, controllerCpuSeconds: 2, controllerRssMiB: 95 }], fit: linearFit([1, 5], [2, 6]) },
    });
    expect(table).toContain('| Time to reconfigure: podpreset | 3.0 s ± 1.4 | under 100 s |');
    expect(table).toContain('1.00 s per member');
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## Summary');
    expect(md).toContain('![time vs members](scale-members.png)');
    expect(existsSync(path.join(dir, 'scale-members.png'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')).machine.cpus).toBe(2);
  });
});

describe('report on several kubeconfig contexts', () => {
  it('names the cluster of every figure and lists what was not measured and why', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-report-'));
    const table = writeReport(dir, {
      startedAt: '2026-01-01T00:00:00Z', machine: { cpus: 2, memoryGiB: 24 },
      target: { kind: 'kubeconfig', clusters: [{ name: 'gke', server: 'https://a' }, { name: 'kubeadm', server: 'https://b' }] },
      timeToReconfigure: [{ feature: 'podpreset', member: 'kubeadm', seconds: [2, 4], summary: summarize([2, 4]) }],
      skipped: [{ experiment: 'time to reconfigure: podpreset', member: 'gke', reason: 'podpreset is present already | x' }],
    });
    expect(table).toContain('| Time to reconfigure: podpreset (kubeadm) | 3.0 s ± 1.4 | under 100 s |');
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('kubeconfig contexts gke (https://a), kubeadm (https://b)');
    expect(md).toContain('| time to reconfigure: podpreset | gke | podpreset is present already / x |');
  });
});

describe('one failed measurement', () => {
  it('is recorded as failed and does not end the run; an interruption does', async () => {
    const { measure, Interrupted } = await import('../../evaluation/experiments.js');
    const { ProgressBar } = await import('../../evaluation/progress-bar.js');
    const ctx = { repeats: 1, bar: new ProgressBar(1), skipped: [] as Array<{ experiment: string; member: string; reason: string; failed?: boolean }> };
    expect(await measure(ctx, 'scale: members', '25 members', async () => { throw new Error('etcdserver: request timed out'); })).toBeUndefined();
    expect(await measure(ctx, 'scale: members', '5 members', async () => 4.2)).toBe(4.2);
    expect(ctx.skipped).toEqual([{ experiment: 'scale: members', member: '25 members', reason: 'failed: etcdserver: request timed out', failed: true }]);
    await expect(measure(ctx, 'x', 'y', async () => { throw new Interrupted(); })).rejects.toThrow('interrupted');
  });
});
