import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { AGENT_CONFIG_MAP, AGENT_TLS_SECRET, agentConfigObjects, agentJoinObjects, formatPeers, type AgentJoinSpec } from '../../../join/agent-objects.js';
import type { KubeObject } from '../../../kube-client/client.js';
import { parseLabels, parsePeers } from '../../../cli/agent-command.js';

const manifests = ['rbac.yaml', 'agent.yaml'].flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(process.cwd(), 'manifests', 'agent', f), 'utf8')).map((d) => d.toJS() as KubeObject));

const spec: AgentJoinSpec = {
  member: 'member-2', access: 'inform', features: ['podpreset'],
  credentials: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
  peers: [{ member: 'member-1', host: '10.0.0.1', port: 7946 }, { member: 'member-3', host: 'fd00::3', port: 7000 }],
  labels: { name: 'member-2', region: 'eu' },
  annotations: { 'fedfeat.io/podpreset-webhook-url': 'https://127.0.0.1:9443' },
};
const names = (objs: KubeObject[]) => objs.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
const data = (o: KubeObject) => (o as unknown as { data: Record<string, string> }).data;

describe('fedfeat join --decentralized objects', () => {
  it('the certificate as the Secret the Deployment mounts, the peers and member in its ConfigMap', () => {
    const [secret, config] = agentConfigObjects(spec);
    expect(secret!.metadata.name).toBe(AGENT_TLS_SECRET);
    expect(Buffer.from(data(secret!)['tls.key']!, 'base64').toString()).toBe('KEY PEM');
    expect(Buffer.from(data(secret!)['ca.crt']!, 'base64').toString()).toBe('CA PEM');
    expect(config!.metadata.name).toBe(AGENT_CONFIG_MAP);
    expect(data(config!)).toEqual({ member: 'member-2', peers: 'member-1=10.0.0.1:7946,member-3=[fd00::3]:7000', labels: 'name=member-2,region=eu', annotations: 'fedfeat.io/podpreset-webhook-url=https://127.0.0.1:9443' });
    // What the agent reads back (cli/agent-command.ts) is what join wrote.
    expect(parsePeers(data(config!).peers)).toEqual(spec.peers);
    expect(parsePeers(formatPeers(spec.peers))).toEqual(spec.peers);
    expect(parseLabels(data(config!).annotations)).toEqual(spec.annotations);
    expect(config!.metadata.labels).toEqual({ 'join.fedfeat.io/fedfeat-agent': 'true' });
  });

  it('refuses a member listed as its own peer', () => {
    expect(() => agentConfigObjects({ ...spec, peers: [{ member: 'member-2', host: 'x', port: 1 }] })).toThrow(/must not include member-2/);
  });

  it('the manifests\' RBAC and workload, the tactics\' roles bound to the agent, everything labelled for unjoin', () => {
    const { namespaces, objects } = agentJoinObjects({ ...spec, image: 'fedfeat.local/fedfeat:0.1.0' }, manifests);
    expect(namespaces).toEqual(['kube-federation-system', 'fedfeat-probe']);
    expect(names(objects)).toEqual(expect.arrayContaining([
      'ServiceAccount kube-federation-system/fedfeat-agent', 'ClusterRole fedfeat-agent', 'Role default/fedfeat-agent-events',
      'ClusterRole fedfeat-agent:common', 'ClusterRole fedfeat-agent:podpreset', 'Role fedfeat-probe/fedfeat-agent:podpreset',
      'Secret kube-federation-system/fedfeat-agent-tls', 'ConfigMap kube-federation-system/fedfeat-agent',
      'Deployment kube-federation-system/fedfeat-agent', 'Service kube-federation-system/fedfeat-agent',
    ]));
    // No long-lived token: the pod uses its projected one.
    expect(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual([AGENT_TLS_SECRET]);
    expect(objects.every((o) => o.metadata.labels?.['join.fedfeat.io/fedfeat-agent'] === 'true')).toBe(true);
    const bindings = objects.filter((o) => o.kind.endsWith('Binding')) as unknown as Array<{ subjects: Array<{ name: string }>; roleRef: { name: string } }>;
    expect(bindings.every((b) => b.subjects.every((s) => s.name === 'fedfeat-agent'))).toBe(true);
    expect(bindings.map((b) => b.roleRef.name)).not.toContain('cluster-admin');
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ image: string; args: string[] }>; volumes: Array<{ configMap?: { name: string }; secret?: { secretName: string } }> } } } };
    expect(deployment.spec.template.spec.containers[0]!.image).toBe('fedfeat.local/fedfeat:0.1.0');
    expect(deployment.spec.template.spec.containers[0]!.args).toContain('--config-dir=/etc/fedfeat-agent/config');
    expect(deployment.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: 'config', configMap: { name: AGENT_CONFIG_MAP } }, { name: 'tls', secret: { secretName: AGENT_TLS_SECRET } }]));
    // The manifests themselves are not changed (the image is set on a copy).
    expect(JSON.stringify(manifests)).not.toContain('fedfeat.local');
  });

  it('enforce access adds the tactics\' write roles; --no-deployment leaves the workload out', () => {
    const { objects } = agentJoinObjects({ ...spec, access: 'enforce', features: ['podpreset', 'cpumanagementpolicy'], deploy: false }, manifests);
    expect(names(objects)).toEqual(expect.arrayContaining(['Role fedfeat-system/fedfeat-agent:podpreset', 'Role fedfeat-node-agent/fedfeat-agent:kubelet-config']));
    expect(objects.some((o) => o.kind === 'Deployment' || o.kind === 'Service')).toBe(false);
  });
});
