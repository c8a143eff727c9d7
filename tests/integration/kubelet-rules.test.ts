// The kubelet itself (v1.34, the binary the federation runs) as the judge of
// what the node agent writes for vendor configurations: each written file set
// (main file, --config-dir drop-ins) is loaded by the real kubelet, which
// merges the drop-ins and validates the result. The kubelet is stopped right
// after validation, before it touches anything, by a flag it only checks next
// (an unknown TLS cipher suite: "failed to construct kubelet dependencies").
// What the agent refuses, the kubelet refuses too. The static policy's CPU
// rule is checked later in the kubelet's start, so the real-node test
// (kubelet-vendor-rules.test.ts) covers it.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KubeletSettings } from '../../api/featureconfig.js';
import { planKubeletChange, readEffective, UnsafeSetting, type AgentRecord, type KubeletSources } from '../../daemonset-scripts/kubelet-agent/config-file.js';
import { kubeletProblems } from '../../daemonset-scripts/kubelet-agent/kubelet-rules.js';
import { binary, ensureBinaries } from '../../local-federation/binaries.js';
import { AKS, EKS_AL2023, EKS_DROPIN, GKE_COS, KUBEADM, KUBEADM_DEFAULT } from '../support/kubelet-configs.js';

const run = promisify(execFile);
const STOP = 'FEDFEAT_STOP_AFTER_VALIDATION';

let kubelet: string;
let tmp: string;

beforeAll(() => {
  kubelet = binary(ensureBinaries(), 'kubelet');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-kubelet-judge-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Verdict = { accepted: true } | { accepted: false; reason: string };

/** Writes the sources under a fresh directory and asks the kubelet. */
async function judge(src: KubeletSources): Promise<Verdict> {
  const dir = mkdtempSync(path.join(tmp, 'case-'));
  const at = (p: string) => path.join(dir, p);
  const args = [`--tls-cipher-suites=${STOP}`, `--cert-dir=${at('pki')}`, `--root-dir=${at('root')}`];
  if (src.main) {
    mkdirSync(path.dirname(at(src.main.path)), { recursive: true });
    writeFileSync(at(src.main.path), src.main.text);
    args.push(`--config=${at(src.main.path)}`);
  }
  if (src.dropinDir) {
    mkdirSync(at(src.dropinDir), { recursive: true });
    for (const d of src.dropins) {
      mkdirSync(path.dirname(at(d.path)), { recursive: true });
      writeFileSync(at(d.path), d.text);
    }
    args.push(`--config-dir=${at(src.dropinDir)}`);
  }
  const out = await run(kubelet, [...args, ...src.argv.slice(1)], { timeout: 30_000 }).then((r) => r.stderr, (e: { stderr?: string }) => e.stderr ?? String(e));
  const err = /"command failed" err="(.*)"\s*$/m.exec(out)?.[1] ?? out.slice(-400);
  if (err.includes(STOP)) return { accepted: true };
  return { accepted: false, reason: err };
}

/** The sources after the plan's writes. */
function written(src: KubeletSources, plan: { writes: Array<{ path: string; text: string }> }): KubeletSources {
  const text = (p: string, t: string) => plan.writes.find((w) => w.path === p)?.text ?? t;
  return { ...src, main: src.main && { path: src.main.path, text: text(src.main.path, src.main.text) }, dropins: src.dropins.map((d) => ({ path: d.path, text: text(d.path, d.text) })) };
}

const single = (p: string, text: string): KubeletSources => ({ main: { path: p, text }, dropins: [], argv: ['kubelet'] });
const eks = (extra: Array<[string, string]> = []): KubeletSources => ({
  main: { path: '/etc/kubernetes/kubelet/config.json', text: EKS_AL2023 },
  dropinDir: '/etc/kubernetes/kubelet/config.json.d',
  dropins: [['40-nodeadm.conf', EKS_DROPIN] as [string, string], ...extra].map(([n, text]) => ({ path: `/etc/kubernetes/kubelet/config.json.d/${n}`, text })),
  argv: ['kubelet'],
});
const dropin = (body: Record<string, unknown>) => JSON.stringify({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', ...body }, null, 4) + '\n';
const noCpu = EKS_AL2023.replace('"cpu": "80m",\n        ', '');

const VENDORS: Array<[string, KubeletSources]> = [
  ['kubeadm', single('/var/lib/kubelet/config.yaml', KUBEADM)],
  ['kubeadm default', single('/var/lib/kubelet/config.yaml', KUBEADM_DEFAULT)],
  ['GKE COS', single('/home/kubernetes/kubelet-config.yaml', GKE_COS)],
  ['AKS', single('/etc/default/kubeletconfig.json', AKS)],
  ['EKS AL2023 + drop-in', eks()],
  ['EKS AL2023, no CPU reserved, user drop-in', { ...eks([['50-user.conf', dropin({ cpuManagerPolicy: 'none', kubeReserved: { memory: '1Gi' } })]]), main: { path: '/etc/kubernetes/kubelet/config.json', text: noCpu } }],
];

describe('the kubelet accepts every file set the agent writes for vendor configurations', () => {
  it.each(VENDORS)('%s: as found, static, a reserved CPU figure, back to none', async (_name, src) => {
    expect(await judge(src)).toEqual({ accepted: true });
    let cur = src;
    let record: AgentRecord = { added: [] };
    const steps: KubeletSettings[] = [{ cpuManagerPolicy: 'static' }, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '250m' } }, { cpuManagerPolicy: 'none' }];
    for (const desired of steps) {
      const plan = planKubeletChange(cur, desired, record);
      cur = written(cur, plan);
      record = plan.record;
      expect(kubeletProblems(readEffective(cur))).toEqual([]);
      expect({ desired, verdict: await judge(cur) }).toEqual({ desired, verdict: { accepted: true } });
    }
  });
});

describe('what the agent refuses, the kubelet refuses too', () => {
  it('reservedSystemCPUs next to systemReservedCgroup/kubeReservedCgroup (EKS)', async () => {
    const byHand = { ...eks(), main: { path: '/etc/kubernetes/kubelet/config.json', text: EKS_AL2023.replace(/\n}\n$/, ',\n    "reservedSystemCPUs": "0"\n}\n') } };
    expect(await judge(byHand)).toMatchObject({ accepted: false, reason: expect.stringContaining("can't use reservedSystemCPUs (--reserved-cpus) with systemReservedCgroup") });
    expect(() => planKubeletChange(eks(), { cpuManagerPolicy: 'static', reservedSystemCPUs: '0' })).toThrow(/reservedSystemCPUs cannot be combined with systemReservedCgroup/);
    // Through a drop-in the same: the kubelet validates the merged configuration.
    const viaDropin = eks([['60-cpus.conf', dropin({ reservedSystemCPUs: '0' })]]);
    expect(await judge(viaDropin)).toMatchObject({ accepted: false });
    expect(kubeletProblems(readEffective(viaDropin))).toHaveLength(1);
  });

  it('a drop-in without apiVersion and kind', async () => {
    const src = eks([['50-bad.conf', '{"cpuManagerPolicy": "static"}\n']]);
    expect(await judge(src)).toMatchObject({ accepted: false, reason: expect.stringContaining("Object 'Kind' is missing") });
    expect(() => planKubeletChange(src, { containerLogMaxFiles: 3 })).toThrow(UnsafeSetting);
  });

  it('YAML 1.1 as the kubelet reads it: an unquoted 0 is a number where a string belongs', async () => {
    const file = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreservedSystemCPUs: 0\n';
    expect(await judge(single('/k.yaml', file))).toMatchObject({ accepted: false });
    expect(kubeletProblems(readEffective(single('/k.yaml', file)))).toEqual(['reservedSystemCPUs must be a string such as "0" (got 0; quote it)']);
    // 0110 is the octal 72 for an integer field: accepted, and read as 72.
    const oct = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 0110\n';
    expect(await judge(single('/k.yaml', oct))).toEqual({ accepted: true });
    expect(readEffective(single('/k.yaml', oct)).maxPods).toBe(72);
  });
});

describe('drop-in order and names, as the kubelet merges them', () => {
  const base = (extra: Array<[string, string]>): KubeletSources => ({
    main: { path: '/c/config.yaml', text: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n' },
    dropinDir: '/c/d', dropins: extra.map(([n, text]) => ({ path: `/c/d/${n}`, text })), argv: ['kubelet'],
  });
  const cpus = dropin({ reservedSystemCPUs: '0' });
  const cgroup = dropin({ systemReservedCgroup: '/system' });
  const unset = dropin({ reservedSystemCPUs: null });

  it.each([
    ['".conf" files are read', [['10-a.conf', cpus], ['20-b.conf', cgroup]], false],
    ['other names are not', [['10-a.conf', cpus], ['20-b.conf.off', cgroup]], true],
    ['subdirectories are walked', [['10-a.conf', cpus], ['sub/20-b.conf', cgroup]], false],
    ['a later null removes a key (JSON merge patch)', [['10-a.conf', cpus], ['20-b.conf', cgroup], ['30-c.conf', unset]], true],
    ['name order, not write order: 30 before 40', [['40-c.conf', unset], ['10-a.conf', cpus], ['20-b.conf', cgroup]], true],
    ['name order: the null comes first, then the CPUs again', [['05-c.conf', unset], ['10-a.conf', cpus], ['20-b.conf', cgroup]], false],
  ] as Array<[string, Array<[string, string]>, boolean]>)('%s', async (_what, files, accepted) => {
    // The agent's reading (only the names the kubelet reads, in its order) agrees with the kubelet.
    const { dropinOrder } = await import('../../daemonset-scripts/kubelet-agent/kubelet-rules.js');
    const src = base(files);
    const ordered = { ...src, dropins: dropinOrder(files.map(([n]) => n)).map((n) => src.dropins.find((d) => d.path === `/c/d/${n}`)!) };
    expect(kubeletProblems(readEffective(ordered)).length === 0).toBe(accepted);
    expect((await judge(src)).accepted).toBe(accepted);
  });
});
