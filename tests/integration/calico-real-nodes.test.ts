// Real Calico, built from its v3.28.2 source by calico-build/build.sh, on
// member-1's real nodes, installed the way users get it: a FeatureConfig with
// networkpolicy applied on the host, and the controller process (least-
// privilege ServiceAccount, member-1's join credentials) rewriting Calico's
// official release manifest (policy only, host-local IPAM, the images imported
// on the nodes) and installing it. calico-node runs Felix on every real node;
// the PodPreset webhook running as pods on those nodes keeps answering the
// member's API server (the control plane still reaches pods, also pods Calico
// networked); pods on different nodes talk; a default-deny NetworkPolicy
// stops that, and an allow rule lets exactly the allowed pod through, by pod
// IP and through a Service; deleting the FeatureConfig (deletionPolicy
// Revert) removes Calico and its CNI configuration, and new pods get the
// nodes' previous network again. Leaves member-1 and the host as it found them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { listClusterFeatureStatuses } from '../../api/cluster-feature-status.js';
import type { FeatureConfig, FeatureStatus } from '../../api/featureconfig.js';
import { createLogger } from '../../controller/logger.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { freePort } from '../../local-federation/free-port.js';
import { FEDFEAT_IMAGE, PAUSE_IMAGE } from '../../local-federation/images/build-images.js';
import { CalicoReconfigurator } from '../../reconfigurators/calico/reconfigurator.js';
import type { Pod as PresetPod } from '../../reconfigurators/podpreset/podpreset-api.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../../reconfigurators/podpreset/reconfigurator.js';
import { NAMESPACE as PP_NAMESPACE, WEBHOOK_NAME } from '../../reconfigurators/podpreset/render.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { controllerKubeconfig, installHostManifests, startController, type ControllerProcess } from './controller-process.js';
import { adminClient, cluster, describeRealNode, eventually, federation, memberContext } from './federation.js';

const run = promisify(execFile);
const state = federation();
const NS = 'calico-real-test';
const FC_NAME = 'calico-real-nodes';
const FC = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, FC_NAME);

type Pod = KubeObject & {
  metadata: { annotations?: Record<string, string> };
  spec: { nodeName: string };
  status: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ ready: boolean; containerID?: string }> };
};
const ready = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const calicoNetworked = (p: Pod) => p.metadata.annotations?.['cni.projectcalico.org/podIP'] === `${p.status.podIP}/32`;

describeRealNode('Calico built from source on the real nodes, installed by the controller', (_first, nodes) => {
  let m1: KubeClient;
  let host: KubeClient;
  let controller: ControllerProcess | undefined;
  const calico = state.calico;
  // The member's controller-manager runs as a host process here, so its --cluster-cidr is not readable through the API.
  const calicoSpec = { poolCIDR: state.realNetwork?.clusterCidr };
  const feature = {
    name: 'networkpolicy' as const,
    calico: { ...calicoSpec, manifestURL: calico ? `file://${calico.manifest}` : '', imageRegistry: calico?.imageRegistry, version: calico?.version },
  };
  // The webhook as a Deployment behind a Service on member-1's real nodes (no URL annotation: Service mode).
  const presets = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, image: FEDFEAT_IMAGE, probeImage: PAUSE_IMAGE });
  let ppCtx: MemberContext;

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
  const memberFeature = async (): Promise<FeatureStatus | undefined> => {
    const fc = await host.getOptional<FeatureConfig>(FC);
    if (!fc) return undefined;
    const mine = (await listClusterFeatureStatuses(host, FC_NAME)).filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === fc.metadata.uid));
    return mine.find((o) => o.cluster === 'member-1')?.features.find((f) => f.name === 'networkpolicy');
  };
  const fcEvents = async () => (await host.list<KubeObject & { reason: string; message: string }>(
    '/api/v1/namespaces/default/events', { query: { fieldSelector: `involvedObject.name=${FC_NAME}` } })).items;
  const webhookPods = async () => (await m1.list<Pod>(`/api/v1/namespaces/${PP_NAMESPACE}/pods`, { query: { labelSelector: `app.kubernetes.io/name=${WEBHOOK_NAME}` } })).items;
  /** The member's API server admits a pod through the webhook pods: the preset lands on it (dry run). */
  const admitsWithPreset = () => eventually('a pod admitted with the preset', async () => {
    const p = await m1.post<PresetPod>(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'fe-', labels: { role: 'frontend' } },
      spec: { containers: [{ name: 'app', image: PAUSE_IMAGE }], nodeName: 'nowhere' },
    }, { query: { dryRun: 'All' } }).catch(() => undefined);
    return p && (p.spec.containers[0]!.env ?? []).some((e) => e.name === 'DB_PORT' && e.value === '6379') ? p : undefined;
  }, 60_000);

  beforeAll(async () => {
    m1 = await adminClient('member-1');
    host = await adminClient('host');
    installHostManifests();
    ppCtx = {
      cluster: 'member-1', annotations: {}, client: m1, log: createLogger('warn'), signal: new AbortController().signal,
      options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 }, now: () => new Date(), event: () => undefined,
    };
  });
  afterAll(async () => {
    // Whatever failed, member-1 goes back to no Calico and no webhook, and the host to no FeatureConfig, for the tests after this file.
    await presets.revert(ppCtx).catch(() => undefined);
    await dropNamespace().catch(() => undefined);
    await host.delete(FC).catch(() => undefined);
    await eventually('FeatureConfig finalized', async () => (await host.getOptional(FC)) === undefined, 180_000).catch(() => undefined);
    await controller?.stop();
    await new CalicoReconfigurator().revert(await memberContext('member-1', m1), feature).catch(() => undefined);
    m1.close();
    host.close();
  });

  it('has Calico built from source and imported on the real nodes', () => {
    expect(calico).toBeDefined(); // FEDFEAT_CALICO=off or a machine without ipset/runit leaves it out
    expect(existsSync(calico!.manifest)).toBe(true);
    expect(calico!.images).toEqual(['node', 'cni', 'kube-controllers'].map((n) => `fedfeat.local/calico/${n}:v3.28.2`));
  });

  it('runs the PodPreset webhook as pods on the real nodes, answering the member\'s API server before Calico', async () => {
    await m1.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await probeThenReconfigure(presets, ppCtx, { name: 'podpreset' });
    expect(await presets.verify(ppCtx, { name: 'podpreset' }, 120_000)).toMatchObject({ state: 'Supported', reason: 'APIServedAndWebhookAnswering' });
    await m1.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS}/podpresets`, {
      apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db' },
      spec: { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }] },
    });
    await admitsWithPreset();
    const running = (await webhookPods()).filter((p) => p.status.phase === 'Running');
    expect(running.length).toBeGreaterThan(0);
    for (const p of running) expect(calicoNetworked(p)).toBe(false); // the nodes' bridge network
  }, 200_000);

  it('the controller installs the rewritten official manifest for a FeatureConfig: calico-node Ready on every real node, running Felix without BIRD', async () => {
    const kubeconfig = await controllerKubeconfig(host);
    controller = await startController(kubeconfig, 'calico-real', await freePort(),
      ['--verify-timeout-seconds', '200', '--calico-manifest-url', `file://${calico!.manifest}`, '--calico-image-registry', calico!.imageRegistry]);
    await host.apply(FC, {
      apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: FC_NAME },
      spec: { networkpolicy: true, calico: calicoSpec, deletionPolicy: 'Revert', clusterSelector: { matchLabels: { 'fedfeat.io/member-index': '1' } } },
    } as KubeObject, 'fedfeat-test');
    const f = await eventually('networkpolicy Supported on member-1', async () => {
      const x = await memberFeature();
      if (x?.state === 'Failed') throw new Error(`controller failed: ${x.reason}: ${x.message}`);
      return x?.state === 'Supported' ? x : undefined;
    }, 220_000);
    expect(f.reason).toBe('PolicyCapableCNIReady');
    const applied = (await fcEvents()).find((e) => e.reason === 'Reconfiguring' && e.message.includes('calico-installer'));
    expect(applied?.message).toMatch(/Calico v3\.28\.2 applied \(\d+ objects, routing cloud, pool 10\.\d+\.0\.0\/16, no overlay, host-local IPAM\)/);
    const pods = (await m1.list<Pod>('/api/v1/namespaces/kube-system/pods', { query: { labelSelector: 'k8s-app=calico-node' } })).items;
    for (const n of nodes) {
      const p = pods.find((x) => x.spec.nodeName === n.nodeName);
      expect(p && ready(p)).toBe(true);
      // A real container on the node's containerd from the locally built image, not a KWOK simulation.
      expect(p!.status.containerStatuses?.every((c) => c.ready && c.containerID?.startsWith('containerd://'))).toBe(true);
    }
    const ds = await m1.get<KubeObject & { spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } } }>('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node');
    expect(ds.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('fedfeat');
    expect(ds.spec.template.spec.containers.find((c) => c.name === 'calico-node')!.image).toBe(`${calico!.imageRegistry}/calico/node:v3.28.2`);
    const { stdout } = await kubectl(['-n', 'kube-system', 'logs', pods.find((x) => x.spec.nodeName === nodes[0]!.nodeName)!.metadata.name, '-c', 'calico-node']);
    expect(stdout).toContain('CALICO_NETWORKING_BACKEND is none - no BGP daemon running');
    expect(stdout).toMatch(/felix\/.*Successfully loaded configuration/);
  }, 260_000);

  it('keeps the webhook pods answering admissions: the old pods, and replacements Calico networks', async () => {
    await admitsWithPreset();
    // New webhook pods get their network from Calico's CNI plugin; the API server still reaches them.
    const before = await webhookPods();
    for (const p of before) await m1.delete(`/api/v1/namespaces/${PP_NAMESPACE}/pods/${p.metadata.name}`, { query: { gracePeriodSeconds: '0' } });
    const fresh = await eventually('replacement webhook pods Ready, networked by Calico', async () => {
      const now = (await webhookPods()).filter((p) => !before.some((b) => b.metadata.uid === p.metadata.uid) && ready(p));
      return now.length > 0 && now.every(calicoNetworked) ? now : undefined;
    }, 90_000);
    expect(fresh.length).toBeGreaterThan(0);
    expect((await presets.verify(ppCtx, { name: 'podpreset' }, 60_000)).state).toBe('Supported');
    await admitsWithPreset();
  }, 200_000);

  it('enforces NetworkPolicy across nodes: default deny stops pods, an allow rule lets exactly the allowed pod through, by pod IP and Service', async () => {
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
    for (const p of all) expect(calicoNetworked(p)).toBe(true);
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

  it('reverts when the FeatureConfig is deleted: Calico and its CNI configuration leave every node, and new pods get networking again', async () => {
    // Pods Calico networked go first: Calico's CNI plugin needs Calico's API objects to tear their network down.
    await presets.revert(ppCtx);
    await dropNamespace();
    await host.delete(FC);
    await eventually('FeatureConfig finalized (Calico reverted)', async () => (await host.getOptional(FC)) === undefined, 240_000);
    expect(await m1.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node')).toBeUndefined();
    expect(await m1.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-cni-cleanup')).toBeUndefined();
    expect(await m1.getOptional('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org')).toBeUndefined();
    for (const n of nodes) expect(existsSync(path.join(n.dir, 'cni', 'net.d', '10-calico.conflist'))).toBe(false);
    // Felix's iptables state left the nodes too (its nat-outgoing rule would keep masquerading pod traffic).
    for (const n of nodes) {
      for (const save of ['iptables-nft-save', 'iptables-legacy-save']) {
        const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', n.netns, save], { encoding: 'utf8' });
        expect(stdout.split('\n').filter((l) => /cali/.test(l))).toEqual([]);
      }
    }
    expect((await new CalicoReconfigurator().probe(await memberContext('member-1', m1))).reason).toBe('NoPolicyCapableCNI');

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
  }, 300_000);
});
