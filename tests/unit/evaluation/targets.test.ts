import { PassThrough } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { confirm, describeChanges } from '../../../evaluation/consent.js';
import { INSTALLED_ANNOTATION, parseInstalled } from '../../../evaluation/journal.js';
import { pickWorkNode, resolveContexts } from '../../../evaluation/targets.js';

function kubeconfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'a', server: 'https://10.0.0.1' }, { name: 'b', server: 'https://10.0.0.2' }, { name: 'a2', server: 'https://10.0.0.1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'gke', cluster: 'a', user: 'u' }, { name: 'kubeadm', cluster: 'b', user: 'u' }, { name: 'gke-again', cluster: 'a2', user: 'u' }, { name: 'broken', cluster: 'nope', user: 'u' }],
    currentContext: 'gke',
  });
  return kc;
}

describe('choosing the clusters to evaluate', () => {
  it('takes only the contexts named, with their servers', () => {
    expect(resolveContexts(kubeconfig(), ['kubeadm'])).toEqual([{ context: 'kubeadm', server: 'https://10.0.0.2' }]);
  });
  it('never falls back to the current context', () => {
    expect(() => resolveContexts(kubeconfig(), [])).toThrow(/--context/);
  });
  it('says which contexts exist when one is unknown', () => {
    expect(() => resolveContexts(kubeconfig(), ['eks'])).toThrow('kubeconfig has no context "eks" (it has: gke, kubeadm, gke-again, broken)');
  });
  it('refuses two contexts of one API server and a context without its cluster', () => {
    expect(() => resolveContexts(kubeconfig(), ['gke', 'gke-again'])).toThrow(/same API server https:\/\/10.0.0.1/);
    expect(() => resolveContexts(kubeconfig(), ['broken'])).toThrow(/cluster "nope"/);
  });
});

const node = (name: string, o: { ready?: boolean; taint?: string; cordon?: boolean; kwok?: boolean } = {}) => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name, ...(o.kwok ? { annotations: { 'kwok.x-k8s.io/node': 'fake' } } : {}) },
  spec: { ...(o.cordon ? { unschedulable: true } : {}), ...(o.taint ? { taints: [{ key: 'k', effect: o.taint }] } : {}) },
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});

describe('the node experiment pods run on', () => {
  const nodes = [node('a-fake', { kwok: true }), node('b-down', { ready: false }), node('c-tainted', { taint: 'NoSchedule' }), node('d-cordoned', { cordon: true }), node('e-soft', { taint: 'PreferNoSchedule' }), node('f-ok')];
  it('is the first real, Ready, schedulable node without a hard taint', () => {
    expect(pickWorkNode(nodes, 'kwok.x-k8s.io/node=fake').node).toBe('e-soft');
  });
  it('treats a key-only simulated annotation as "has the key"', () => {
    expect(pickWorkNode([node('a-fake', { kwok: true }), node('b')], 'kwok.x-k8s.io/node').node).toBe('b');
  });
  it('can be named, and a named unusable node is refused with the reason', () => {
    expect(pickWorkNode(nodes, 'kwok.x-k8s.io/node=fake', 'f-ok').node).toBe('f-ok');
    expect(pickWorkNode(nodes, 'kwok.x-k8s.io/node=fake', 'c-tainted')).toEqual({ reason: 'node c-tainted is tainted' });
    expect(pickWorkNode(nodes, 'kwok.x-k8s.io/node=fake', 'zz').reason).toBe('node zz does not exist');
  });
  it('says why there is none', () => {
    expect(pickWorkNode(nodes.slice(0, 4), 'kwok.x-k8s.io/node=fake')).toEqual({ reason: 'none of the 4 nodes is Ready, schedulable, untainted and real' });
  });
});

describe('asking before changing a cluster', () => {
  const text = describeChanges([{ name: 'gke', server: 'https://10.0.0.1', nodes: 3 }], ['disruption', 'time-to-reconfigure'], 5);
  it('names every cluster and what each experiment changes there', () => {
    expect(text).toContain('context gke: https://10.0.0.1 (3 nodes)');
    expect(text).toContain('disruption:');
    expect(text).toContain('installs and reverts, 5 times each');
    expect(text).not.toContain('overhead:');
  });
  it('refuses without a terminal unless --yes', async () => {
    const out = new PassThrough();
    await expect(confirm(text, { yes: false, input: new PassThrough(), output: out })).rejects.toThrow(/pass --yes/);
    await expect(confirm(text, { yes: true, input: new PassThrough(), output: out })).resolves.toBeUndefined();
  });
  it('goes ahead on "yes" typed at a terminal, and on anything else changes nothing', async () => {
    const ask = async (answer: string) => {
      const input = Object.assign(new PassThrough(), { isTTY: true });
      const p = confirm(text, { yes: false, input, output: new PassThrough() });
      input.write(`${answer}\n`);
      return p;
    };
    await expect(ask('yes')).resolves.toBeUndefined();
    await expect(ask('y')).rejects.toThrow('not confirmed: nothing was changed');
  });
});

describe('the on-cluster record of what the harness changed', () => {
  it('reads the features with the settings revert needs, and refuses a record it cannot read', () => {
    expect(parseInstalled(undefined)).toEqual([]);
    expect(parseInstalled('[{"name":"podpreset"},{"name":"networkpolicy","calico":{"manifestURL":"http://m/c.yaml"}}]'))
      .toEqual([{ name: 'podpreset' }, { name: 'networkpolicy', calico: { manifestURL: 'http://m/c.yaml' } }]);
    expect(() => parseInstalled('podpreset')).toThrow(INSTALLED_ANNOTATION);
    expect(() => parseInstalled('{"a":1}')).toThrow(/not a list/);
    expect(() => parseInstalled('["podpreset"]')).toThrow(/not a list/);
  });
});
