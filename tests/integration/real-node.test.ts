// The real kubelet nodes in member-1: real pods on containerd, the kubelet's
// live configuration read through the member's API server, pods on different
// nodes reaching each other by plain routes, and a ClusterIP Service served by
// the real kube-proxy on every node, from pods, from the nodes and from a
// client network namespace created here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { KubeClient, type KubeObject } from '../../kube-client/client.js';
import { SERVICE_CIDR, SERVICE_IP } from '../../local-federation/control-plane.js';
import { createClient, deleteNamespace, inNodeNetns, planClient, type NetworkPlan } from '../../local-federation/real-node/network.js';
import { natRules } from '../../local-federation/real-node/real-node.js';
import { adminClient, describeRealNode, eventually, federation, TEST_FEDERATION } from './federation.js';

const state = federation();

// As root (CI) the real node is required and a missing one fails here, naming why the launcher skipped
// it; without root the launcher skips it and so does this file, saying why (FEDFEAT_TEST_REAL_NODE).
describeRealNode('real node', (node) => {
  let m1: KubeClient;
  beforeAll(async () => {
    m1 = await adminClient('member-1');
  });
  afterAll(() => m1.close());

  it('exist when running as root', () => {
    expect(state.realNodeSkipped).toBeUndefined();
    expect(state.realNodes?.map((n) => n.nodeName)).toEqual([1, 2, 3].map((k) => `${TEST_FEDERATION}-member-1-real-${k}`));
  });

  it('runs a pod whose readiness probe passes, on containerd', async () => {
    const name = `ready-${Date.now()}`;
    await m1.post('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: {
        nodeName: node.nodeName,
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'web', image: 'fedfeat.local/tools:1.0',
          command: ['sh', '-c', 'echo pod-$HOSTNAME > /var/www/index.html; exec httpd -f -p 8080 -h /var/www'],
          readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
        }],
      },
    });
    try {
      const pod = await eventually('pod Ready', async () => {
        const p = await m1.get<KubeObject & { status: { conditions?: Array<{ type: string; status: string }>; podIP?: string; containerStatuses?: Array<{ containerID?: string }> } }>(`/api/v1/namespaces/default/pods/${name}`);
        return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      }, 90_000);
      expect(pod.status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\//);
      // The pod really serves: reach it through the route the launcher set up to the node's pod CIDR.
      const body = await (await fetch(`http://${pod.status.podIP}:8080/index.html`)).text();
      expect(body.trim()).toBe(`pod-${name}`);
    } finally {
      await m1.delete(`/api/v1/namespaces/default/pods/${name}`);
    }
  });

  it('serves the live kubelet configuration at /configz through the API server node proxy', async () => {
    const configz = await m1.get<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${node.nodeName}/proxy/configz`);
    const file = parse(readFileSync(node.kubeletConfig, 'utf8')) as Record<string, unknown>;
    expect(configz.kubeletconfig.cpuManagerPolicy).toBe('none');
    expect(configz.kubeletconfig.cgroupRoot).toBe(file.cgroupRoot);
    expect(configz.kubeletconfig.address).toBe(node.nodeIP);
    expect(configz.kubeletconfig.containerRuntimeEndpoint).toBe(`unix://${node.containerdSocket}`);
    // Each node's own pod log folder (kubelets sharing /var/log/pods remove each other's pod logs as orphans).
    expect(configz.kubeletconfig.podLogsDir).toBe(file.podLogsDir);
    expect(file.podLogsDir).toMatch(/^\/.+\/pod-logs$/);
  });
});

type Pod = KubeObject & { spec: { nodeName: string }; status: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> } };

// HTTP by busybox nc, in pods and (the host's busybox) in network namespaces: busybox's static wget crashes in glibc's NSS here.
const httpGet = (nc: string, ip: string, port: number, path: string) => `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | ${nc} -w 5 ${ip} ${port}`;

/** GET from inside a network namespace; the response body, or throws. */
function getIn(netns: string, ip: string, port: number, path: string): string {
  const [cmd, ...args] = inNodeNetns(netns, ['sh', '-c', httpGet('/bin/busybox nc', ip, port, path)]);
  const res = execFileSync(cmd!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  if (!res.startsWith('HTTP/1.1 200')) throw new Error(`GET http://${ip}:${port}${path} from ${netns}: ${res || 'no answer'}`);
  return res.slice(res.indexOf('\r\n\r\n') + 4);
}

// Each web pod answers /cgi-bin/who with "<its name> <the caller's address as it sees it>".
const WEB_SCRIPT = [
  'mkdir -p /www/cgi-bin',
  `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho %s $REMOTE_ADDR\\n' "$HOSTNAME" > /www/cgi-bin/who`,
  'chmod +x /www/cgi-bin/who', 'echo ok > /www/index.html', 'exec httpd -f -p 8080 -h /www',
].join('; ');

describeRealNode('real nodes: pod network and Services', (_first, nodes) => {
  const NS = 'real-nodes-test';
  let m1: KubeClient;
  let svcIP = '';
  const web = new Map<string, Pod>(); // node name -> its web pod
  const podOf = (name: string) => m1.get<Pod>(`/api/v1/namespaces/${NS}/pods/${name}`);
  // Lines "<pod> <caller address>" (httpd writes IPv4 callers as [::ffff:a.b.c.d]); other lines (HTTP headers) are skipped.
  const who = (text: string) => text.split('\n').map((l) => /^(web-\d+) \[?(?:::ffff:)?([\d.]+)\]?\s*$/.exec(l.trim())).filter((m) => m !== null)
    .map((m) => ({ pod: m[1]!, from: m[2]! }));

  beforeAll(async () => {
    m1 = await adminClient('member-1');
    await m1.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const n of nodes) {
      await m1.post(`/api/v1/namespaces/${NS}/pods`, {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${n.ordinal}`, labels: { app: 'web' } },
        spec: {
          nodeName: n.nodeName, terminationGracePeriodSeconds: 0,
          containers: [{ name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', WEB_SCRIPT],
            readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 } }],
        },
      });
    }
    const svc = await m1.post<KubeObject & { spec: { clusterIP: string } }>(`/api/v1/namespaces/${NS}/services`, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
      spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    svcIP = svc.spec.clusterIP;
    for (const n of nodes) {
      web.set(n.nodeName, await eventually(`web-${n.ordinal} Ready`, async () => {
        const p = await podOf(`web-${n.ordinal}`);
        return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      }, 120_000));
    }
  }, 240_000);

  afterAll(async () => {
    await m1.delete(`/api/v1/namespaces/${NS}`);
    m1.close();
  });

  /** Runs `script` once in a pod on `nodeName` and returns its log. */
  async function runInPod(name: string, nodeName: string, script: string): Promise<string> {
    await m1.post(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { nodeName, restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', script] }] },
    });
    const done = await eventually(`pod ${name} finished`, async () => {
      const p = await podOf(name);
      return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p : undefined;
    }, 120_000);
    const log = await m1.requestText('GET', `/api/v1/namespaces/${NS}/pods/${name}/log`);
    expect({ name, phase: done.status.phase, log }).toEqual({ name, phase: 'Succeeded', log: expect.any(String) });
    return log;
  }

  it('has K real nodes Ready, each with its own network namespace, node IP, podCIDR and cgroup', async () => {
    expect(nodes.length).toBe(3);
    const fields = (k: keyof (typeof nodes)[number]) => new Set(nodes.map((n) => n[k])).size;
    for (const k of ['nodeName', 'netns', 'nodeIP', 'podCidr', 'cgroupRoot', 'containerdSocket'] as const) expect(fields(k)).toBe(nodes.length);
    for (const n of nodes) {
      const node = await m1.get<{ spec: { podCIDR: string }; status: { conditions: Array<{ type: string; status: string }>; addresses: Array<{ type: string; address: string }> } }>(`/api/v1/nodes/${n.nodeName}`);
      expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(node.spec.podCIDR).toBe(n.podCidr);
      expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: n.nodeIP });
      // Each node's memory was measured at startup (containerd + shims, kubelet, kube-proxy).
      expect(n.memory?.totalMiB).toBeGreaterThan(0);
      process.stderr.write(`${n.nodeName}: ${n.memory!.totalMiB} MiB RSS (containerd ${n.memory!.containerdMiB}, kubelet ${n.memory!.kubeletMiB}, kube-proxy ${n.memory!.kubeProxyMiB})\n`);
    }
  });

  it('routes pod to pod across nodes by plain routes, without NAT', async () => {
    for (const [i, n] of nodes.entries()) {
      const peerNode = nodes[(i + 1) % nodes.length]!;
      const peer = web.get(peerNode.nodeName)!;
      // The route to the peer's podCIDR goes straight to the peer node: no overlay, no tunnel.
      const [cmd, ...args] = inNodeNetns(n.netns, ['ip', 'route', 'get', peer.status.podIP!]);
      expect(execFileSync(cmd!, args, { encoding: 'utf8' })).toContain(`via ${peerNode.nodeIP}`);
      const log = await runInPod(`to-peer-${n.ordinal}`, n.nodeName, `${httpGet('nc', peer.status.podIP!, 8080, '/cgi-bin/who')}; echo "me $(hostname -i)"`);
      const me = /^me (\S+)/m.exec(log)?.[1];
      expect(me).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      // The peer saw the caller's own pod IP.
      expect(who(log)).toEqual([{ pod: peer.metadata.name, from: me }]);
    }
  });

  it('serves a ClusterIP Service through kube-proxy from a pod, across nodes', async () => {
    // kube-proxy in iptables mode programmed the Service on every node; the DNAT stand-in is gone.
    for (const n of nodes) {
      const nat = natRules(n.netns);
      expect(nat).toContain(`${svcIP}/32`);
      expect(nat).toContain(`${SERVICE_IP}/32`);
      expect(nat).not.toMatch(/-A (PREROUTING|OUTPUT) .*-j DNAT/);
    }
    const log = await eventually('answers from several pods through the Service', async () => {
      const text = await runInPod(`via-svc-${Date.now()}`, nodes[0]!.nodeName, `for i in $(seq 1 20); do ${httpGet('nc', svcIP, 80, '/cgi-bin/who')}; done`);
      return new Set(who(text).map((w) => w.pod)).size > 1 ? text : undefined;
    }, 120_000);
    expect(who(log)).toHaveLength(20);
  }, 240_000);

  it('reaches the API server from a pod through the `kubernetes` Service (kube-proxy, not a stand-in)', async () => {
    const log = await runInPod('to-apiserver', nodes[nodes.length - 1]!.nodeName, httpGet('nc', SERVICE_IP, 443, '/version'));
    // Plain HTTP to the API server's TLS port: Go's TLS server answers so, then closes.
    expect(log).toContain('Client sent an HTTP request to an HTTPS server');
  });

  it('serves the Service from every node\'s own network namespace', async () => {
    for (const n of nodes) {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add(who(getIn(n.netns, svcIP, 80, '/cgi-bin/who'))[0]!.pod);
      expect(seen.size).toBeGreaterThan(1);
    }
  });

  it('serves the Service to a client network namespace routed through a node', () => {
    const net = state.realNetwork! as unknown as NetworkPlan;
    const client = planClient(state.instance, net, 'rntest', 1, SERVICE_CIDR);
    createClient(net, client);
    try {
      const answers = Array.from({ length: 20 }, () => who(getIn(client.netns, svcIP, 80, '/cgi-bin/who'))[0]!);
      expect(new Set(answers.map((a) => a.pod)).size).toBeGreaterThan(1);
      // The gateway node masqueraded the client (outside the cluster CIDR), so replies come back through it.
      for (const a of answers) expect(a.from).not.toBe(client.ip);
    } finally {
      deleteNamespace(client.netns);
    }
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain(client.hostVeth);
  });
});
