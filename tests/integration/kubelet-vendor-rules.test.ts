// The kubelet's rules on the real node (member-1), with the kubelet itself as
// the judge: the node's config file is first given what vendors put there (a
// zero CPU reservation; a reserved cgroup), then the kubelet tactic sets the
// static policy and goes back to none through the desired settings (not
// revert). The kubelet must come back healthy with what the agent wrote, the
// file must be byte for byte what it was outside the changed keys, and going
// back to none must take out what fedfeat itself added.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { KubeClient } from '../../kube-client/client.js';
import { KubeletConfigReconfigurator } from '../../reconfigurators/kubelet-config/reconfigurator.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { adminClient, describeRealNode, eventually, federation, memberContext } from './federation.js';

describeRealNode('kubelet rules on the real nodes (the kubelet judges what the agent writes)', (_first, nodes) => {
  // Every real node of member-1 gets the same vendor file: the tactic rolls over all of them, one at a time.
  const files = nodes.map((n) => n.kubeletConfig);
  const events: string[] = [];
  const r = new KubeletConfigReconfigurator({ agentTimeoutSeconds: 45, nodeReadyTimeoutSeconds: 120 });
  let member: KubeClient;
  let ctx: MemberContext;
  const original = new Map<string, string>();
  const configz = async (node: string) => (await member.get<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${node}/proxy/configz`)).kubeletconfig;
  const staticFeature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'static' as const } };
  const noneFeature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'none' as const } };
  const fedfeatFiles = (file: string) => ['.fedfeat-backup', '.fedfeat-previous', '.fedfeat-record.json', '.fedfeat-record.json.fedfeat-previous'].map((s) => `${file}${s}`);
  const orig = (file: string) => original.get(file)!;

  beforeAll(async () => {
    member = await adminClient('member-1');
    const base = await memberContext('member-1', member, events);
    ctx = { ...base, options: { ...base.options, simulatedNodeAnnotation: 'kwok.x-k8s.io/node=fake' } };
    for (const f of files) {
      original.set(f, readFileSync(f, 'utf8'));
      expect(orig(f)).toContain('cpuManagerPolicy: none\n');
    }
    for (const n of nodes) expect((await configz(n.nodeName)).cpuManagerPolicy).toBe('none');
  });

  afterAll(async () => {
    // Back to the launcher's own files, with the kubelets restarted on them: fedfeat's revert restores a backup.
    for (const f of files) {
      for (const x of fedfeatFiles(f)) rmSync(x, { force: true });
      writeFileSync(`${f}.fedfeat-backup`, orig(f));
    }
    await r.revert(ctx).catch((e: Error) => process.stderr.write(`revert after the kubelet rules test: ${e.message}\n`));
    for (const f of files) if (readFileSync(f, 'utf8') !== orig(f)) writeFileSync(f, orig(f));
    member.close();
  });

  it('a zero CPU reservation (kubeReserved.cpu: 0m) is none: fedfeat reserves CPU 0 and the kubelet starts with the static policy', async () => {
    const vendor = (f: string) => `${orig(f)}kubeReserved:\n  cpu: 0m\n  memory: 100Mi\n`;
    for (const f of files) writeFileSync(f, vendor(f));
    const out = await probeThenReconfigure(r, ctx, staticFeature);
    expect(out.message).toContain(`${nodes.length} nodes reconfigured, 1 at a time`);
    for (const n of nodes) {
      const live = await configz(n.nodeName);
      // The kubelet replaces the CPU reservations with reservedSystemCPUs, and /configz shows it: kubeReserved.cpu
      // is dropped (systemReserved.cpu becomes the number of CPUs; /configz shows that only for a map the file has).
      expect(live).toMatchObject({ cpuManagerPolicy: 'static', reservedSystemCPUs: '0', kubeReserved: { memory: '100Mi' } });
      expect((live.kubeReserved as Record<string, string>).cpu).toBeUndefined();
      const f = n.kubeletConfig;
      expect(readFileSync(f, 'utf8')).toBe(`${vendor(f).replace('cpuManagerPolicy: none\n', 'cpuManagerPolicy: static\n')}reservedSystemCPUs: "0"\n`);
      expect(JSON.parse(readFileSync(`${f}.fedfeat-record.json`, 'utf8'))).toEqual({ added: [{ file: f, path: ['reservedSystemCPUs'], value: '0', createdParent: false }] });
    }
  });

  it('back to none through the desired settings (not revert) takes out the reservedSystemCPUs fedfeat chose, leaving the file as it was', async () => {
    await probeThenReconfigure(r, ctx, noneFeature);
    for (const n of nodes) {
      const live = await eventually(`configz none on ${n.nodeName}`, async () => {
        const c = await configz(n.nodeName);
        return c.cpuManagerPolicy === 'none' ? c : undefined;
      }, 60_000);
      expect(live.reservedSystemCPUs ?? '').toBe('');
      const f = n.kubeletConfig;
      expect(readFileSync(f, 'utf8')).toBe(`${orig(f)}kubeReserved:\n  cpu: 0m\n  memory: 100Mi\n`);
      expect(JSON.parse(readFileSync(`${f}.fedfeat-record.json`, 'utf8'))).toEqual({ added: [] });
    }
  });

  it('with systemReservedCgroup set, CPU is reserved through systemReserved.cpu (reservedSystemCPUs would stop the kubelet), and none takes it out again', async () => {
    const vendor = (f: string) => `${orig(f)}kubeReserved:\n  cpu: 0m\n  memory: 100Mi\nsystemReservedCgroup: /fedfeat-system-reserved\n`;
    for (const f of files) writeFileSync(f, vendor(f));
    await probeThenReconfigure(r, ctx, staticFeature);
    for (const n of nodes) {
      const live = await configz(n.nodeName);
      expect(live).toMatchObject({ cpuManagerPolicy: 'static', systemReservedCgroup: '/fedfeat-system-reserved', systemReserved: { cpu: '1' } });
      expect(live.reservedSystemCPUs ?? '').toBe('');
      const f = n.kubeletConfig;
      expect(readFileSync(f, 'utf8')).toBe(`${vendor(f).replace('cpuManagerPolicy: none\n', 'cpuManagerPolicy: static\n')}systemReserved:\n  cpu: "1"\n`);
    }

    await probeThenReconfigure(r, ctx, noneFeature);
    for (const n of nodes) {
      await eventually(`configz none without systemReserved on ${n.nodeName}`, async () => {
        const c = await configz(n.nodeName);
        return c.cpuManagerPolicy === 'none' && !(c.systemReserved as Record<string, string> | undefined)?.cpu;
      }, 60_000);
      expect(readFileSync(n.kubeletConfig, 'utf8')).toBe(vendor(n.kubeletConfig));
    }
  });

  it('refuses an explicit reservedSystemCPUs next to systemReservedCgroup on the node, naming the rule, without restarting the kubelet', async () => {
    const before = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
    const previous = new Map(files.map((f) => [f, readFileSync(`${f}.fedfeat-previous`, 'utf8')]));
    const started = events.length;
    await expect(probeThenReconfigure(r, ctx, { name: 'kubelet', kubelet: { cpuManagerPolicy: 'static', reservedSystemCPUs: '0' } }))
      .rejects.toThrow(/reservedSystemCPUs cannot be combined with systemReservedCgroup \(\/fedfeat-system-reserved\): the kubelet refuses to start/);
    // The rollout stops at the first node that refuses: no file anywhere changed, not even a backup step.
    for (const f of files) {
      expect(readFileSync(f, 'utf8')).toBe(before.get(f));
      expect(readFileSync(`${f}.fedfeat-previous`, 'utf8')).toBe(previous.get(f));
    }
    expect(events.slice(started).some((e) => nodes.some((n) => e.startsWith(`Warning NodeFailed node ${n.nodeName}: error`)))).toBe(true);
    for (const n of nodes) expect((await configz(n.nodeName)).cpuManagerPolicy).toBe('none');
  });
});
