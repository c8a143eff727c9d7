import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { linearFit, summarize } from '../../../evaluation/stats.js';
import { writeReport } from '../../../evaluation/report.js';

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
