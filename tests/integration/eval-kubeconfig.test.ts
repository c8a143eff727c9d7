// The evaluation harness pointed at clusters through a kubeconfig, as a user
// points it at GKE/EKS/AKS/kubeadm contexts: here the test federation's merged
// kubeconfig. It asks before changing anything (refuses without a terminal or
// --yes), changes only the contexts named, leaves features a cluster already
// has alone, records what it turns on, reverts it at the end, and an
// interrupted run is undone by Ctrl-C or by `fedfeat eval cleanup`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../../api/kubefed.js';
import { createLogger } from '../../controller/logger.js';
import { serveCalicoStandIn } from '../../evaluation/experiments.js';
import { EVAL_NAMESPACE, evalNamespaces, INSTALLED_ANNOTATION } from '../../evaluation/journal.js';
import type { EvalResults } from '../../evaluation/report.js';
import { runEval } from '../../evaluation/run.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { repoRoot } from '../../local-federation/repo-root.js';
import { FEDFEAT_IMAGE, NODE_AGENT_IMAGE, PAUSE_IMAGE, TOOLS_IMAGE } from '../../local-federation/images/build-images.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator, WEBHOOK_URL_ANNOTATION } from '../../reconfigurators/podpreset/reconfigurator.js';
import { adminClient, cluster, describeRealNode, eventually, federation, itRealNode } from './federation.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';

const fedfeat = path.join(repoRoot, 'bin', 'fedfeat.js');
const kubeconfig = () => path.join(federation().dir, 'kubeconfig');

/** Names of what a cluster holds that the harness could have touched (what an earlier test is still deleting does not count). */
async function snapshot(c: KubeClient): Promise<string[]> {
  const names = async (p: string) => (await c.list<KubeObject>(p)).items.filter((o) => !o.metadata.deletionTimestamp).map((o) => `${p} ${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  return [
    ...(await names('/api/v1/namespaces')), ...(await names('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')),
    ...(await names('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations')), ...(await names('/apis/apps/v1/daemonsets')),
    ...(await names('/apis/apps/v1/deployments')),
  ].sort();
}

async function webhookUrl(member: string): Promise<string> {
  const host = await adminClient('host');
  try {
    const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, member));
    return kfc.metadata.annotations![WEBHOOK_URL_ANNOTATION]!;
  } finally {
    host.close();
  }
}

function cli(args: string[], stdin: 'ignore' | 'pipe' = 'ignore') {
  return spawnSync(process.execPath, [fedfeat, 'eval', ...args], { encoding: 'utf8', stdio: [stdin, 'pipe', 'pipe'], timeout: 120_000 });
}

describe('fedfeat eval on kubeconfig contexts', () => {
  let calico: Awaited<ReturnType<typeof serveCalicoStandIn>>;
  beforeAll(async () => {
    calico = await serveCalicoStandIn();
  });
  afterAll(() => calico.close());

  it('refuses to change a cluster without confirmation, and names the contexts it knows when one is wrong', async () => {
    const m2 = await adminClient('member-2');
    try {
      const before = await snapshot(m2);
      const r = cli(['time-to-reconfigure', '--kubeconfig', kubeconfig(), '--context', 'member-2', '--repeats', '1']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`context member-2: ${cluster('member-2').server}`);
      expect(r.stderr).toContain('refusing to change clusters the harness did not start without confirmation');
      expect(await snapshot(m2)).toEqual(before);

      const wrong = cli(['all', '--kubeconfig', kubeconfig(), '--context', 'gke-prod', '--yes']);
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toMatch(/kubeconfig has no context "gke-prod" \(it has: .*member-1.*\)/);
      const noContext = cli(['all', '--kubeconfig', kubeconfig(), '--yes']);
      expect(noContext.stderr).toContain('--kubeconfig needs --context');
      expect(cli(['scale', '--kubeconfig', kubeconfig(), '--context', 'member-2', '--yes']).stderr).toContain('does not run on your clusters');
    } finally {
      m2.close();
    }
  });

  itRealNode('runs every experiment on the named context only, and leaves it as it was', async (real) => {
    const [m1, others] = [await adminClient('member-1'), await Promise.all(['host', 'member-2', 'member-3'].map(adminClient))];
    const node = real.nodeName;
    const configz = async () => (await m1.get<{ kubeletconfig: { cpuManagerPolicy: string } }>(`/api/v1/nodes/${node}/proxy/configz`)).kubeletconfig.cpuManagerPolicy;
    try {
      const before = await snapshot(m1);
      const othersBefore = await Promise.all(others.map(snapshot));
      expect(await configz()).toBe('none');
      const out = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-eval-kc-'));
      const table = await runEval({
        experiment: 'all', out, repeats: 1, members: [1], nodes: [1],
        remote: {
          kubeconfig: kubeconfig(), contexts: ['member-1'], yes: true, abort: new AbortController(), webhookImage: FEDFEAT_IMAGE,
          nodeAgentImage: NODE_AGENT_IMAGE, webImage: TOOLS_IMAGE, pauseImage: PAUSE_IMAGE, calicoManifestURL: calico.url,
        },
      });
      const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as EvalResults;
      expect(results.target).toEqual({ kind: 'kubeconfig', clusters: [{ name: 'member-1', server: expect.stringMatching(/^https:\/\/[\d.]+:\d+$/) }] });
      expect(results.skipped ?? []).toEqual([]);
      // Experiment 1: admission measured without and with the webhook (dry runs; the webhook deployed as a Service,
      // as on a user's cluster), CPU pinning on the real node.
      const o = results.overhead![0]!;
      expect(o.admission).toMatchObject({ dryRun: true, withoutWebhook: { n: 300 }, withWebhook: { n: 300 } });
      expect(o.cpuPinning).toMatchObject({ node, pinned: { n: 60 }, shared: { n: 60 } });
      // Experiment 2: the web pod, reached through the API server's pod proxy, answered through both kubelet restarts.
      const runs = results.disruption!.runs;
      expect(runs.map((r) => r.mode)).toEqual(['rolling (fedfeat, 1 node at a time)', 'all at once (the paper\'s way)']);
      for (const r of runs) {
        expect(r.member).toBe('member-1');
        expect(r.ok).toBeGreaterThan(20);
        expect(r.failed).toBeLessThan(r.ok / 10);
      }
      // Experiment 3: each feature turned on and off on this cluster.
      expect(results.timeToReconfigure!.map((t) => t.feature).sort()).toEqual(['cpumanagementpolicy', 'networkpolicy', 'podpreset']);
      for (const t of results.timeToReconfigure!) expect(t.seconds[0]).toBeLessThan(100);
      expect(table).toContain('Time to reconfigure: podpreset');
      expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('kubeconfig contexts member-1');
      // Everything undone: the same objects as before, the kubelet back to its own policy, no record left.
      expect(await snapshot(m1)).toEqual(before);
      expect(await configz()).toBe('none');
      expect(await m1.getOptional(`/api/v1/namespaces/${EVAL_NAMESPACE}`)).toBeUndefined();
      // The clusters not named were never touched.
      expect(await Promise.all(others.map(snapshot))).toEqual(othersBefore);
    } finally {
      for (const c of [m1, ...others]) c.close();
    }
  }, 900_000);

  it('measures nothing where a feature is present already, and leaves it installed', async () => {
    const m2 = await adminClient('member-2');
    const pp = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, probeImage: PAUSE_IMAGE });
    const ctx = {
      cluster: 'member-2', annotations: { [WEBHOOK_URL_ANNOTATION]: await webhookUrl('member-2') }, client: m2, log: createLogger('warn'),
      signal: new AbortController().signal, options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 }, now: () => new Date(), event: () => undefined,
    };
    try {
      await probeThenReconfigure(pp, ctx, { name: 'podpreset' });
      expect((await pp.verify(ctx, { name: 'podpreset' }, 60_000)).state).toBe('Supported');
      const out = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-eval-kc-'));
      // Only PodPreset is measurable here without touching what exists: the admission overhead needs it absent.
      const text = await runEval({
        experiment: 'overhead', out, repeats: 1, members: [1], nodes: [1],
        remote: { kubeconfig: kubeconfig(), contexts: ['member-2'], yes: true, abort: new AbortController(), nodeAgentImage: NODE_AGENT_IMAGE, webImage: TOOLS_IMAGE, pauseImage: PAUSE_IMAGE },
      });
      expect(text).toMatch(/not measured: overhead: pod admission on member-2: podpreset is present already/);
      expect(text).toMatch(/not measured: overhead: CPU pinning on member-2: no node to run pods on: none of the 5 nodes/);
      expect((await pp.probe(ctx)).state).toBe('Supported');
      expect(await evalNamespaces(m2)).toEqual([]);
    } finally {
      await pp.revert(ctx);
      m2.close();
    }
  }, 300_000);

  it('undoes an interrupted run: on Ctrl-C itself, after a kill with "eval cleanup"', async () => {
    const m3 = await adminClient('member-3');
    const crd = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org';
    const installed = async () => (await m3.getOptional<KubeObject>(`/api/v1/namespaces/${EVAL_NAMESPACE}`))?.metadata.annotations?.[INSTALLED_ANNOTATION];
    const args = ['time-to-reconfigure', '--features', 'networkpolicy', '--kubeconfig', kubeconfig(), '--context', 'member-3', '--yes', '--repeats', '20', '--calico-manifest-url', calico.url,
      '--web-image', TOOLS_IMAGE, '--pause-image', PAUSE_IMAGE, '--node-agent-image', NODE_AGENT_IMAGE, '--out', mkdtempSync(path.join(os.tmpdir(), 'fedfeat-eval-kc-'))];
    const children: Array<ReturnType<typeof spawn>> = [];
    const start = () => {
      const child = spawn(process.execPath, [fedfeat, 'eval', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      children.push(child);
      return { child, exit, err: () => err };
    };
    try {
      const before = await snapshot(m3);
      // Ctrl-C while Calico is installed: the harness finishes the step, reverts, and exits 130.
      const a = start();
      await eventually('the run to record Calico', async () => (await installed())?.includes('networkpolicy') && (await m3.getOptional(crd)), 120_000);
      a.child.kill('SIGINT');
      expect(await a.exit).toBe(130);
      expect(a.err()).toContain('SIGINT: finishing the current step');
      expect(a.err()).toContain('everything the evaluation changed is undone');
      expect(await snapshot(m3)).toEqual(before);

      // SIGKILL: nothing can run; the record on the cluster says what is left.
      const b = start();
      await eventually('the run to record Calico', async () => (await installed())?.includes('networkpolicy') && (await m3.getOptional(crd)), 120_000);
      b.child.kill('SIGKILL');
      await b.exit;
      expect(await installed()).toContain('networkpolicy');
      // A new run refuses to start on the leftovers, and says how to undo them.
      const again = cli(args);
      expect(again.status).not.toBe(0);
      expect(again.stderr).toContain('still has networkpolicy from an earlier, interrupted evaluation');
      expect(again.stderr).toContain('fedfeat eval cleanup --kubeconfig');
      // cleanup asks too, then undoes it with the settings recorded (the Calico manifest URL).
      const refused = cli(['cleanup', '--kubeconfig', kubeconfig(), '--context', 'member-3']);
      expect(refused.stderr).toContain('revert networkpolicy');
      expect(refused.status).not.toBe(0);
      const done = cli(['cleanup', '--kubeconfig', kubeconfig(), '--context', 'member-3', '--yes']);
      expect(done.stdout).toContain('nothing the evaluation changed is left');
      expect(done.status).toBe(0);
      expect(await snapshot(m3)).toEqual(before);
      expect(cli(['cleanup', '--kubeconfig', kubeconfig(), '--context', 'member-3']).stdout).toContain('nothing to undo');
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      m3.close();
    }
  }, 600_000);
});

describeRealNode('fedfeat eval interrupted during a kubelet reconfiguration', (real) => {
  it('lets the node step finish, puts the kubelet configuration back, and exits 130', async () => {
    const m1 = await adminClient('member-1');
    const node = real.nodeName;
    const policy = async () => (await m1.get<{ kubeletconfig: { cpuManagerPolicy: string } }>(`/api/v1/nodes/${node}/proxy/configz`)).kubeletconfig.cpuManagerPolicy;
    const installed = async () => (await m1.getOptional<KubeObject>(`/api/v1/namespaces/${EVAL_NAMESPACE}`))?.metadata.annotations?.[INSTALLED_ANNOTATION];
    const child = spawn(process.execPath, [fedfeat, 'eval', 'time-to-reconfigure', '--features', 'cpumanagementpolicy', '--kubeconfig', kubeconfig(), '--context', 'member-1', '--yes',
      '--repeats', '5', '--node-agent-image', NODE_AGENT_IMAGE, '--out', mkdtempSync(path.join(os.tmpdir(), 'fedfeat-eval-kc-'))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      // Interrupt while the agent pod is at work on the node (the record is written just before it starts).
      await eventually('the run to record the kubelet change', async () => (await installed())?.includes('cpumanagementpolicy'), 120_000);
      child.kill('SIGINT');
      expect(await exit).toBe(130);
      expect(err).toContain('everything the evaluation changed is undone');
      expect(await policy()).toBe('none');
      expect(await m1.getOptional(`/api/v1/namespaces/${EVAL_NAMESPACE}`)).toBeUndefined();
      expect(await m1.getOptional('/api/v1/namespaces/fedfeat-node-agent/pods')).toMatchObject({ items: [] });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      m1.close();
    }
  }, 300_000);
});
