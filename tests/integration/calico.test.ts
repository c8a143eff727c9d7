// The Calico tactic on a real member API server with KWOK nodes: the rewritten
// manifest (served from a local URL, as a mirror would) is applied, calico-node
// gets a Running pod on every node, the feature turns Supported, and revert
// removes everything. KWOK nodes run no containers, so this file uses the
// stand-in manifest (local-federation/calico-standin.ts) on member-2/3; real
// Calico built from source runs on member-1's real nodes in
// calico-real-nodes.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../controller/logger.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { CalicoReconfigurator } from '../../reconfigurators/calico/reconfigurator.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { calicoLikeManifest } from '../../local-federation/calico-standin.js';
import { adminClient, eventually, TEST_NODES } from './federation.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';
import { freePort } from '../../local-federation/free-port.js';

const ctxFor = (cluster: string, client: KubeClient, events: string[]): MemberContext => ({
  cluster, annotations: {}, client, log: createLogger('warn'), signal: new AbortController().signal,
  options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 },
  now: () => new Date(), event: (type, reason, message) => void events.push(`${type} ${reason} ${message}`),
});

/** Nothing labelled as fedfeat's Calico is left in any of these lists. */
async function expectNoCalicoLeft(m: KubeClient, lists: string[]): Promise<void> {
  for (const list of lists) {
    expect((await m.list(list, { query: { labelSelector: 'app.kubernetes.io/part-of=fedfeat-calico' } })).items).toEqual([]);
  }
}

// The pool comes from the member: the local federation publishes each member's --cluster-cidr in
// kube-system/kubeadm-config, as kubeadm clusters do.
const POOL = '10.244.0.0/16';

describe('Calico tactic', () => {
  let server: http.Server;
  let url: string;
  const r = new CalicoReconfigurator();

  beforeAll(async () => {
    const body = calicoLikeManifest();
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/yaml' });
      res.end(body);
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/calico.yaml`;
  });
  afterAll(() => new Promise<void>((res) => server.close(() => res())));

  it('installs Calico without overlay on a member without a policy CNI, one Running calico-node per node, and reverts it', async () => {
    const m = await adminClient('member-2');
    const events: string[] = [];
    const ctx = ctxFor('member-2', m, events);
    const feature = { name: 'networkpolicy' as const, calico: { manifestURL: url, version: 'v3.28.2' } };
    try {
      expect(await r.probe(ctx)).toMatchObject({ state: 'Missing', reason: 'NoPolicyCapableCNI' });
      await probeThenReconfigure(r, ctx, feature);
      const verified = await r.verify(ctx, feature, 120_000);
      expect(verified).toMatchObject({ state: 'Supported', reason: 'PolicyCapableCNIReady' });
      const pods = await m.list<KubeObject & { spec: { nodeName: string }; status: { phase: string } }>('/api/v1/namespaces/kube-system/pods', { query: { labelSelector: 'k8s-app=calico-node' } });
      const running = pods.items.filter((p) => p.status.phase === 'Running');
      expect(new Set(running.map((p) => p.spec.nodeName)).size).toBe(TEST_NODES);
      // What the API server stored is the rewritten manifest.
      const ds = await m.get<{ spec: { template: { spec: { containers: Array<{ name: string; env: Array<{ name: string; value?: string }> }> } } } }>('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node');
      const env = Object.fromEntries(ds.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
      expect(env).toMatchObject({ CALICO_IPV4POOL_IPIP: 'Never', CALICO_IPV4POOL_VXLAN: 'Never', USE_POD_CIDR: 'true' });
      expect(env.CALICO_IPV4POOL_CIDR).toBe(POOL);
      const cm = await m.get<{ data: Record<string, string> }>('/api/v1/namespaces/kube-system/configmaps/calico-config');
      expect(cm.data.cni_network_config).toContain('"subnet": "usePodCidr"');
      // Idempotent.
      await probeThenReconfigure(r, ctx, feature);
      expect((await r.probe(ctx)).state).toBe('Supported');

      const out = await r.revert(ctx, feature);
      expect(out.message).toMatch(/removed \d+ Calico objects/);
      await eventually('calico-node gone', async () => (await m.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node')) === undefined, 60_000);
      expect(await m.getOptional('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.crd.projectcalico.org')).toBeUndefined();
      await expectNoCalicoLeft(m, ['/api/v1/configmaps', '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/api/v1/serviceaccounts']);
      expect((await r.probe(ctx)).reason).toBe('NoPolicyCapableCNI');
    } finally {
      await r.revert(ctx, feature).catch(() => undefined);
      m.close();
    }
  });

  it('reverts by its label when the manifest it installed cannot be fetched any more', async () => {
    const m = await adminClient('member-2');
    const events: string[] = [];
    const ctx = ctxFor('member-2', m, events);
    const feature = { name: 'networkpolicy' as const, calico: { manifestURL: url } };
    try {
      await probeThenReconfigure(r, ctx, feature);
      const installed = (await m.list('/api/v1/configmaps', { query: { labelSelector: 'app.kubernetes.io/part-of=fedfeat-calico' } })).items.length;
      expect(installed).toBeGreaterThan(0);
      // The mirror is gone: the URL answers nothing.
      const out = await r.revert(ctx, { name: 'networkpolicy', calico: { manifestURL: 'http://127.0.0.1:9/gone.yaml' } });
      expect(out.message).toMatch(/removed \d+ Calico objects/);
      expect(events.some((e) => e.includes('RevertByLabel') && e.includes('not available'))).toBe(true);
      await expectNoCalicoLeft(m, ['/apis/apiextensions.k8s.io/v1/customresourcedefinitions', '/apis/apps/v1/daemonsets', '/apis/apps/v1/deployments', '/api/v1/configmaps',
        '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', '/api/v1/serviceaccounts', '/apis/policy/v1/poddisruptionbudgets']);
      expect((await r.probe(ctx)).reason).toBe('NoPolicyCapableCNI');
    } finally {
      await r.revert(ctx, feature).catch(() => undefined);
      m.close();
    }
  });

  it('leaves a member that runs Cilium alone and says why', async () => {
    const m = await adminClient('member-3');
    const events: string[] = [];
    const ctx = ctxFor('member-3', m, events);
    const dsPath = '/apis/apps/v1/namespaces/kube-system/daemonsets/cilium';
    try {
      await m.apply(dsPath, {
        apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'cilium', namespace: 'kube-system' },
        spec: {
          selector: { matchLabels: { 'k8s-app': 'cilium' } },
          template: { metadata: { labels: { 'k8s-app': 'cilium' } }, spec: { containers: [{ name: 'cilium-agent', image: 'fedfeat.local/tools:1.0' }] } },
        },
      } as KubeObject, 'fedfeat-test');
      // Starting up (pods not yet Ready everywhere) it is not enforced yet, but it is there: fedfeat must not install over it.
      await expect(probeThenReconfigure(r, ctx, { name: 'networkpolicy', calico: { manifestURL: url } })).rejects.toThrow(/runs cilium \(kube-system\/cilium\); fedfeat does not install Calico over another CNI/);
      expect(await m.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node')).toBeUndefined();
      const ready = await eventually('Cilium Ready on every node', async () => {
        const p = await r.probe(ctx);
        return p.state === 'Supported' ? p : undefined;
      }, 90_000);
      expect(ready.message).toContain('cilium enforces NetworkPolicy');
    } finally {
      await m.delete(dsPath);
      m.close();
    }
  });

  it('refuses to guess the pool when the member does not say its cluster pod CIDR', async () => {
    const m = await adminClient('member-2');
    const cmPath = '/api/v1/namespaces/kube-system/configmaps/kubeadm-config';
    const kubeadm = await m.get<KubeObject>(cmPath);
    try {
      await m.delete(cmPath);
      await expect(probeThenReconfigure(r, ctxFor('member-2', m, []), { name: 'networkpolicy', calico: { manifestURL: url } }))
        .rejects.toThrow(/cluster pod CIDR cannot be read .*set spec.calico.poolCIDR/);
      expect(await m.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node')).toBeUndefined();
    } finally {
      await m.post('/api/v1/namespaces/kube-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubeadm-config', namespace: 'kube-system' }, data: (kubeadm as unknown as { data: Record<string, string> }).data });
      m.close();
    }
  });

  it('says clearly when the manifest cannot be had', async () => {
    const m = await adminClient('member-2');
    try {
      // A port nothing listens on (fetch refuses "bad ports" such as 1 before connecting).
      const url = `http://127.0.0.1:${await freePort()}/calico.yaml`;
      await expect(probeThenReconfigure(r, ctxFor('member-2', m, []), { name: 'networkpolicy', calico: { manifestURL: url } }))
        .rejects.toThrow(`GET ${url}: connect ECONNREFUSED`);
    } finally {
      m.close();
    }
  });
});
