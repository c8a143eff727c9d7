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

describeRealNode('kubelet rules on the real node (the kubelet judges what the agent writes)', (real) => {
  const state = federation();
  const file = `${state.dir}/real-node/kubelet-config.yaml`;
  const node = real.nodeName;
  const events: string[] = [];
  const r = new KubeletConfigReconfigurator({ agentTimeoutSeconds: 45, nodeReadyTimeoutSeconds: 120 });
  let member: KubeClient;
  let ctx: MemberContext;
  let original: string;
  const configz = async () => (await member.get<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${node}/proxy/configz`)).kubeletconfig;
  const staticFeature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'static' as const } };
  const noneFeature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'none' as const } };
  const fedfeatFiles = () => ['.fedfeat-backup', '.fedfeat-previous', '.fedfeat-record.json', '.fedfeat-record.json.fedfeat-previous'].map((s) => `${file}${s}`);

  beforeAll(async () => {
    member = await adminClient('member-1');
    const base = await memberContext('member-1', member, events);
    ctx = { ...base, options: { ...base.options, simulatedNodeAnnotation: 'kwok.x-k8s.io/node=fake' } };
    original = readFileSync(file, 'utf8');
    expect(original).toContain('cpuManagerPolicy: none\n');
    expect((await configz()).cpuManagerPolicy).toBe('none');
  });

  afterAll(async () => {
    // Back to the launcher's own file, with the kubelet restarted on it: fedfeat's revert restores a backup.
    for (const f of fedfeatFiles()) rmSync(f, { force: true });
    writeFileSync(`${file}.fedfeat-backup`, original);
    await r.revert(ctx).catch((e: Error) => process.stderr.write(`revert after the kubelet rules test: ${e.message}\n`));
    if (readFileSync(file, 'utf8') !== original) writeFileSync(file, original);
    member.close();
  });

  it('a zero CPU reservation (kubeReserved.cpu: 0m) is none: fedfeat reserves CPU 0 and the kubelet starts with the static policy', async () => {
    const vendor = `${original}kubeReserved:\n  cpu: 0m\n  memory: 100Mi\n`;
    writeFileSync(file, vendor);
    const out = await probeThenReconfigure(r, ctx, staticFeature);
    expect(out.message).toContain(`1 nodes reconfigured, 1 at a time: ${node}`);
    const live = await configz();
    // The kubelet replaces the CPU reservations with reservedSystemCPUs, and /configz shows it: kubeReserved.cpu
    // is dropped (systemReserved.cpu becomes the number of CPUs; /configz shows that only for a map the file has).
    expect(live).toMatchObject({ cpuManagerPolicy: 'static', reservedSystemCPUs: '0', kubeReserved: { memory: '100Mi' } });
    expect((live.kubeReserved as Record<string, string>).cpu).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(`${vendor.replace('cpuManagerPolicy: none\n', 'cpuManagerPolicy: static\n')}reservedSystemCPUs: "0"\n`);
    expect(JSON.parse(readFileSync(`${file}.fedfeat-record.json`, 'utf8'))).toEqual({ added: [{ file, path: ['reservedSystemCPUs'], value: '0', createdParent: false }] });
  });

  it('back to none through the desired settings (not revert) takes out the reservedSystemCPUs fedfeat chose, leaving the file as it was', async () => {
    const vendor = `${original}kubeReserved:\n  cpu: 0m\n  memory: 100Mi\n`;
    await probeThenReconfigure(r, ctx, noneFeature);
    const live = await eventually('configz none', async () => {
      const c = await configz();
      return c.cpuManagerPolicy === 'none' ? c : undefined;
    }, 60_000);
    expect(live.reservedSystemCPUs ?? '').toBe('');
    expect(readFileSync(file, 'utf8')).toBe(vendor);
    expect(JSON.parse(readFileSync(`${file}.fedfeat-record.json`, 'utf8'))).toEqual({ added: [] });
  });

  it('with systemReservedCgroup set, CPU is reserved through systemReserved.cpu (reservedSystemCPUs would stop the kubelet), and none takes it out again', async () => {
    const vendor = `${original}kubeReserved:\n  cpu: 0m\n  memory: 100Mi\nsystemReservedCgroup: /fedfeat-system-reserved\n`;
    writeFileSync(file, vendor);
    await probeThenReconfigure(r, ctx, staticFeature);
    const live = await configz();
    expect(live).toMatchObject({ cpuManagerPolicy: 'static', systemReservedCgroup: '/fedfeat-system-reserved', systemReserved: { cpu: '1' } });
    expect(live.reservedSystemCPUs ?? '').toBe('');
    expect(readFileSync(file, 'utf8')).toBe(`${vendor.replace('cpuManagerPolicy: none\n', 'cpuManagerPolicy: static\n')}systemReserved:\n  cpu: "1"\n`);

    await probeThenReconfigure(r, ctx, noneFeature);
    await eventually('configz none without systemReserved', async () => {
      const c = await configz();
      return c.cpuManagerPolicy === 'none' && !(c.systemReserved as Record<string, string> | undefined)?.cpu;
    }, 60_000);
    expect(readFileSync(file, 'utf8')).toBe(vendor);
  });

  it('refuses an explicit reservedSystemCPUs next to systemReservedCgroup on the node, naming the rule, without restarting the kubelet', async () => {
    const before = readFileSync(file, 'utf8');
    const previous = readFileSync(`${file}.fedfeat-previous`, 'utf8');
    const started = events.length;
    await expect(probeThenReconfigure(r, ctx, { name: 'kubelet', kubelet: { cpuManagerPolicy: 'static', reservedSystemCPUs: '0' } }))
      .rejects.toThrow(/reservedSystemCPUs cannot be combined with systemReservedCgroup \(\/fedfeat-system-reserved\): the kubelet refuses to start/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(events.slice(started).some((e) => e.startsWith(`Warning NodeFailed node ${node}: error`))).toBe(true);
    expect(readFileSync(`${file}.fedfeat-previous`, 'utf8')).toBe(previous); // nothing written, not even a backup step
    expect((await configz()).cpuManagerPolicy).toBe('none');
  });
});
