import { decide } from '../../../../reconfigurators/decision.js';
import { KUBELET_RULES, kubeletMismatches, nodeResults } from '../../../../reconfigurators/kubelet-config/probe.js';

describe('kubelet /configz comparison', () => {
  it('treats an omitted cpuManagerPolicy as the kubelet default none', () => {
    expect(kubeletMismatches({ cpuManagerPolicy: 'static' }, {})).toEqual(['cpuManagerPolicy is none, want static']);
    expect(kubeletMismatches({ cpuManagerPolicy: 'none' }, {})).toEqual([]);
    expect(kubeletMismatches({ cpuManagerPolicy: 'static' }, { cpuManagerPolicy: 'static' })).toEqual([]);
  });

  it('compares reserved resources per resource and plain fields by value', () => {
    const live = { kubeReserved: { cpu: '500m' }, containerLogMaxFiles: 5 };
    expect(kubeletMismatches({ kubeReserved: { cpu: '500m', memory: '1Gi' }, containerLogMaxFiles: 3 }, live)).toEqual([
      'kubeReserved.memory is unset, want 1Gi',
      'containerLogMaxFiles is 5, want 3',
    ]);
  });

  it('does not compare a cpu reservation the running kubelet replaced with reservedSystemCPUs (/configz shows the replacement)', () => {
    // What /configz of a v1.34 kubelet shows for kubeReserved {cpu: 250m, memory: 1Gi} with reservedSystemCPUs "0".
    const live = { cpuManagerPolicy: 'static', reservedSystemCPUs: '0', kubeReserved: { memory: '1Gi' }, systemReserved: { cpu: '1' } };
    expect(kubeletMismatches({ cpuManagerPolicy: 'static', kubeReserved: { cpu: '250m', memory: '1Gi' } }, live)).toEqual([]);
    expect(kubeletMismatches({ kubeReserved: { cpu: '250m' } }, { kubeReserved: { cpu: '100m' } })).toEqual(['kubeReserved.cpu is 100m, want 250m']);
  });

  it('gives one result per node, with simulated and unreachable nodes told apart', () => {
    const res = nodeResults([
      { node: 'a', config: { cpuManagerPolicy: 'static' } },
      { node: 'b', config: { cpuManagerPolicy: 'none' } },
      { node: 'c', simulated: true },
      { node: 'd', error: 'connection refused' },
    ], { cpuManagerPolicy: 'static' });
    expect(res.map((r) => [r.node, r.state])).toEqual([['a', 'ok'], ['b', 'mismatch'], ['c', 'simulated'], ['d', 'unreachable']]);
    expect(res[3]!.message).toBe('connection refused');
  });
});

describe('kubelet decision chain', () => {
  const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
  const decideOn = (configs: Parameters<typeof nodeResults>[0]) => decide({ nodes: configs.map((c) => node(c.node)), results: nodeResults(configs, { cpuManagerPolicy: 'static' }) }, KUBELET_RULES);

  it('cannot tell without a real kubelet, acts on differing nodes before waiting on silent ones', () => {
    expect(decideOn([{ node: 'k', simulated: true }])).toMatchObject({ state: 'Unknown', reason: 'NoKubeletToProbe' });
    const mixed = decideOn([{ node: 'a', config: { cpuManagerPolicy: 'none' } }, { node: 'b', error: 'timeout' }, { node: 'k', simulated: true }]);
    expect(mixed).toMatchObject({ state: 'Missing', reason: 'KubeletConfigDiffers' });
    expect(mixed.message).toBe('1/2 nodes differ: a: cpuManagerPolicy is none, want static (1 simulated nodes not probed)');
    expect(decideOn([{ node: 'a', config: { cpuManagerPolicy: 'static' } }, { node: 'b', error: 'timeout' }])).toMatchObject({ state: 'Unknown', reason: 'KubeletUnreachable' });
    expect(decideOn([{ node: 'a', config: { cpuManagerPolicy: 'static' } }])).toMatchObject({ state: 'Supported', reason: 'KubeletConfigured' });
  });
});
