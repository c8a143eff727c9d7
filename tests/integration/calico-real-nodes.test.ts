// Real Calico, built from its v3.28.2 source by calico-build/build.sh, on
// member-1's real nodes: the tactic rewrites Calico's official release
// manifest (policy only, host-local IPAM, the images imported on the nodes)
// and installs it; calico-node runs Felix on every real node; pods on
// different nodes talk; a default-deny NetworkPolicy stops that, and an allow
// rule lets exactly the allowed pod through, by pod IP and through a Service;
// revert removes Calico and its CNI configuration, and new pods get the
// nodes' previous network again. Leaves member-1 as it found it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { CalicoReconfigurator } from '../../reconfigurators/calico/reconfigurator.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';
import { adminClient, cluster, describeRealNode, eventually, federation, memberContext } from './federation.js';

const run = promisify(execFile);
const state = federation();
const NS = 'calico-real-test';

type Pod = KubeObject & {
  metadata: { annotations?: Record<string, string> };
  spec: { nodeName: string };
  status: { podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ ready: boolean; containerID?: string }> };
};
const ready = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describeRealNode('Calico built from source on the real nodes', (_first, nodes) => {
  let m1: KubeClient;
  const tactic = new CalicoReconfigurator();
  const calico = state.calico;
  const feature = {
    name: 'networkpolicy' as const,
    calico: {
      manifestURL: calico ? `file://${calico.manifest}` : '', imageRegistry: calico?.imageRegistry, version: calico?.version,
      // The member's controller-manager runs as a host process here, so its --cluster-cidr is not readable through the API.
      poolCIDR: state.realNetwork?.clusterCidr,
    },
  };
  const kubectl = (args: string[]) => run(path.join(state.binDir, 'kubectl'), ['--kubeconfig', cluster('member-1').kubeconfig, ...args], { timeout: 20_000 });
  /** Whether `from` gets an HTTP answer from ip:port (busybox nc, 3 s). */
  const reaches = async (from: string, ip: string, port: number): Promise<boolean> => {
    try {
      const { stdout } = await kubectl(['-n', NS, 'exec', from, '--', 'sh', '-c', `printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`]);
      return stdout.startsWith('HTTP/1.1 200');
    } catch {
      return false;
    }
  };
  const pod = (name: string) => m1.get<Pod>(`/api/v1/namespaces/${NS}/pods/${name}`);
  const webPod = (name: string, nodeName: string, labels: Record<string, string>) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: {
      nodeName, terminationGracePeriodSeconds: 0,
      containers: [{ name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www'],
        readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 } }],
    },
  });
  const policy = (name: string, spec: Record<string, unknown>) => m1.post(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec,
  });
  const dropNamespace = async () => {
    await m1.delete(`/api/v1/namespaces/${NS}`);
    await eventually(`namespace ${NS} gone`, async () => (await m1.getOptional(`/api/v1/namespaces/${NS}`)) === undefined, 120_000);
  };

  beforeAll(async () => {
    m1 = await adminClient('member-1');
  });
  afterAll(async () => {
    // Whatever failed, member-1 goes back to no Calico for the tests after this file.
    await dropNamespace().catch(() => undefined);
    await tactic.revert(await memberContext('member-1', m1), feature).catch(() => undefined);
    m1.close();
  });

  it('has Calico built from source and imported on the real nodes', () => {
    expect(calico).toBeDefined(); // FEDFEAT_CALICO=off or a machine without ipset/runit leaves it out
    expect(existsSync(calico!.manifest)).toBe(true);
    expect(calico!.images).toEqual(['node', 'cni', 'kube-controllers'].map((n) => `fedfeat.local/calico/${n}:v3.28.2`));
  });

  it('installs the rewritten official manifest: calico-node Ready on every real node, running Felix without BIRD', async () => {
    const events: string[] = [];
    const ctx = await memberContext('member-1', m1, events);
    expect((await tactic.probe(ctx)).reason).toBe('NoPolicyCapableCNI');
    await probeThenReconfigure(tactic, ctx, feature);
    expect(events.join('\n')).toMatch(/CalicoApplied .*policy only \(no BGP\).*pool 10\.\d+\.0\.0\/16 \(from spec\.calico\.poolCIDR\)/);
    expect(await tactic.verify(ctx, feature, 150_000)).toMatchObject({ state: 'Supported', reason: 'PolicyCapableCNIReady' });
    const pods = (await m1.list<Pod>('/api/v1/namespaces/kube-system/pods', { query: { labelSelector: 'k8s-app=calico-node' } })).items;
    for (const n of nodes) {
      const p = pods.find((x) => x.spec.nodeName === n.nodeName);
      expect(p && ready(p)).toBe(true);
      // A real container on the node's containerd, not a KWOK simulation.
      expect(p!.status.containerStatuses?.every((c) => c.ready && c.containerID?.startsWith('containerd://'))).toBe(true);
    }
    const { stdout } = await kubectl(['-n', 'kube-system', 'logs', pods.find((x) => x.spec.nodeName === nodes[0]!.nodeName)!.metadata.name, '-c', 'calico-node']);
    expect(stdout).toContain('CALICO_NETWORKING_BACKEND is none - no BGP daemon running');
    expect(stdout).toMatch(/felix\/.*Successfully loaded configuration/);
  }, 200_000);

  it('enforces NetworkPolicy across nodes: default deny stops pods, an allow rule lets exactly the allowed pod through, by pod IP and Service', async () => {
    await m1.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // The callers on the first node, a web pod on each other node.
    const callerNode = nodes[0]!.nodeName;
    await m1.post(`/api/v1/namespaces/${NS}/pods`, webPod('allowed', callerNode, { role: 'client' }));
    await m1.post(`/api/v1/namespaces/${NS}/pods`, webPod('other', callerNode, { role: 'other' }));
    const webs = nodes.slice(1).map((n) => `web-${n.ordinal}`);
    for (const n of nodes.slice(1)) await m1.post(`/api/v1/namespaces/${NS}/pods`, webPod(`web-${n.ordinal}`, n.nodeName, { app: 'web' }));
    const svc = await m1.post<KubeObject & { spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    const all = await Promise.all(['allowed', 'other', ...webs].map((name) => eventually(`${name} Ready`, async () => {
      const p = await pod(name);
      return ready(p) ? p : undefined;
    }, 90_000)));
    // Calico's CNI plugin networked them (it records the address it gave), on host-local's podCIDR addresses.
    for (const p of all) expect(p.metadata.annotations?.['cni.projectcalico.org/podIP']).toBe(`${p.status.podIP}/32`);
    const webIPs = all.filter((p) => p.metadata.name.startsWith('web-')).map((p) => p.status.podIP!);

    for (const ip of webIPs) {
      expect(await reaches('allowed', ip, 8080)).toBe(true);
      expect(await reaches('other', ip, 8080)).toBe(true);
    }
    expect(await reaches('other', svc.spec.clusterIP, 80)).toBe(true);

    await policy('default-deny', { podSelector: {}, policyTypes: ['Ingress'] });
    await eventually('default deny enforced', async () => !(await reaches('allowed', webIPs[0]!, 8080)), 30_000);
    for (const ip of webIPs) {
      expect(await reaches('allowed', ip, 8080)).toBe(false);
      expect(await reaches('other', ip, 8080)).toBe(false);
    }
    expect(await reaches('allowed', svc.spec.clusterIP, 80)).toBe(false);

    await policy('allow-clients', {
      podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
    });
    await eventually('allow rule enforced', async () => reaches('allowed', webIPs[0]!, 8080), 30_000);
    for (const ip of webIPs) {
      expect(await reaches('allowed', ip, 8080)).toBe(true);
      expect(await reaches('other', ip, 8080)).toBe(false);
    }
    // Through the Service (kube-proxy's DNAT to a web pod on another node, then Calico's policy on that pod).
    expect(await reaches('allowed', svc.spec.clusterIP, 80)).toBe(true);
    expect(await reaches('other', svc.spec.clusterIP, 80)).toBe(false);
  }, 240_000);

  it('reverts: Calico and its CNI configuration leave every node, and new pods get networking again', async () => {
    // Pods Calico networked go first: Calico's CNI plugin needs Calico's API objects to tear their network down.
    await dropNamespace();
    const events: string[] = [];
    const ctx = await memberContext('member-1', m1, events);
    const out = await tactic.revert(ctx, feature);
    expect(out.message).toMatch(/removed \d+ Calico objects/);
    expect(events.some((e) => e.includes('CalicoCniConfigRemoved'))).toBe(true);
    expect(await m1.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node')).toBeUndefined();
    expect(await m1.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-cni-cleanup')).toBeUndefined();
    expect(await m1.getOptional('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org')).toBeUndefined();
    for (const n of nodes) expect(existsSync(path.join(n.dir, 'cni', 'net.d', '10-calico.conflist'))).toBe(false);
    expect((await tactic.probe(ctx)).reason).toBe('NoPolicyCapableCNI');

    await m1.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const n of nodes) await m1.post(`/api/v1/namespaces/${NS}/pods`, webPod(`after-${n.ordinal}`, n.nodeName, { app: 'after' }));
    for (const n of nodes) {
      const p = await eventually(`after-${n.ordinal} Ready`, async () => {
        const x = await pod(`after-${n.ordinal}`);
        return ready(x) ? x : undefined;
      }, 90_000);
      expect(p.metadata.annotations?.['cni.projectcalico.org/podIP']).toBeUndefined();
      // Reached from the host over the routes to the node's podCIDR: the bridge network is back.
      expect((await (await fetch(`http://${p.status.podIP}:8080/index.html`)).text()).trim()).toBe('ok');
    }
    await dropNamespace();
  }, 240_000);
});
