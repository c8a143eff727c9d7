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

describe('report of the disruption experiment through a Service', () => {
  it('has one section per readiness probe with the table, both charts and what happened per mode', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-report-'));
    const run = (mode: 'all-at-once' | 'rolling', failed: number) => ({
      mode, label: mode, seconds: 4.25, requests: 100, failed, longestGapMs: failed ? 1500 : 20,
      endpoints: { before: 3, departures: [{ pod: 'web-a', left: 1.5, seconds: 2, cameBack: true }], minReady: failed ? 0 : 2, zeroReadySeconds: failed ? 1.25 : 0, missingEndpointSeconds: 2 },
      kubeletBackSeconds: { n1: 1 }, readyChanges: [{ s: 1.5, pod: 'web-a', node: 'n1', ready: false }],
      readyEndpoints: [[-5, 3], [1.5, 3], [1.5, 2], [3.5, 2], [3.5, 3]] as Array<[number, number]>,
      samples: [{ t: 0, ms: 2 }, { t: 1, ms: null }],
    });
    const table = writeReport(dir, {
      startedAt: '2026-01-01T00:00:00Z', machine: { cpus: 2, memoryGiB: 24 }, target: { kind: 'local', clusters: [] },
      serviceDisruption: [
        { nodes: ['n1', 'n2', 'n3'], replicas: 3, readiness: { periodSeconds: 1, failureThreshold: 3 }, intervalMs: 10, runs: [run('all-at-once', 0), run('rolling', 0)] },
        { nodes: ['n1', 'n2', 'n3'], replicas: 3, readiness: { periodSeconds: 3, failureThreshold: 3, probeSeconds: 2 }, intervalMs: 10, runs: [run('all-at-once', 7)] },
      ],
    });
    expect(table).toContain('| Disruption through a Service (exec readiness probe taking 2 s every 3 s (failureThreshold 3)): all-at-once | 7 failed of 100, longest gap 1500 ms, 1 endpoint departures, no endpoint for 1.3 s; 4.3 s for 3 nodes | outage while all kubelets restart |');
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## 2a. Disruption through a Service, HTTP GET readiness probe every 1 s (failureThreshold 3)');
    expect(md).toContain('## 2b. Disruption through a Service, exec readiness probe taking 2 s every 3 s');
    expect(md).toContain('| all-at-once | 4.3 | 100 | 7 | 1500 | 1 | 2.0 | 0/3 | 1.3 | 2.0 |');
    expect(md).toContain('Left the endpoints: web-a at 1.5 s for 2.0 s.');
    for (const f of ['service-disruption-latency-1.png', 'service-disruption-endpoints-2.png']) expect(existsSync(path.join(dir, f))).toBe(true);
  });
});
