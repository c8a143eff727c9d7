// The rule the integration tests apply to the real node (they cannot run here
// without Kubernetes binaries, so the decision itself is checked on its own).
import { realNodeLaunchOption, realNodeMode, realNodeNeed } from '../../../integration/federation.js';
import type { RealNodeState } from '../../../../local-federation/state.js';

const node: RealNodeState = {
  member: 'member-1', nodeName: 'test-member-1-real-1', ordinal: 1, netns: 'ns', hostVeth: 'h', hostIP: '10.213.0.1', nodeIP: '10.213.0.10',
  subnet: '10.213.0.0/24', dir: '/f/real-node/node1', kubeletConfig: '/f/real-node/node1/kubelet-config.yaml',
  containerdSocket: '/run/fedfeat/test/node1/containerd.sock', cgroupRoot: '/fedfeat-test/node1',
};
const second: RealNodeState = { ...node, nodeName: 'test-member-1-real-2', ordinal: 2, nodeIP: '10.213.0.11' };
const withNode = { instance: 'test', realNodes: [node, second] };
const withoutNode = (why?: string) => ({ instance: 'test', realNodeSkipped: why });

describe('FEDFEAT_TEST_REAL_NODE', () => {
  it('defaults to required as root and to best effort otherwise', () => {
    expect(realNodeMode({}, 0)).toBe('on');
    expect(realNodeMode({ FEDFEAT_TEST_REAL_NODE: '' }, 0)).toBe('on');
    expect(realNodeMode({}, 1000)).toBe('auto');
  });

  it('takes the launcher values and refuses others', () => {
    expect(realNodeMode({ FEDFEAT_TEST_REAL_NODE: 'off' }, 0)).toBe('off');
    expect(realNodeMode({ FEDFEAT_TEST_REAL_NODE: 'auto' }, 0)).toBe('auto');
    expect(realNodeMode({ FEDFEAT_TEST_REAL_NODE: 'on' }, 1000)).toBe('on');
    expect(() => realNodeMode({ FEDFEAT_TEST_REAL_NODE: 'yes' }, 0)).toThrow(/must be auto, on or off \(got "yes"\)/);
  });

  it('starts the test federation without the node only when opted out', () => {
    expect([realNodeLaunchOption('on'), realNodeLaunchOption('auto'), realNodeLaunchOption('off')]).toEqual(['auto', 'auto', 'off']);
  });
});

describe('realNodeNeed', () => {
  it('runs on the node whenever there is one, unless opted out', () => {
    expect(realNodeNeed(withNode, 'on')).toEqual({ node, nodes: [node, second] });
    expect(realNodeNeed(withNode, 'auto')).toEqual({ node, nodes: [node, second] });
    expect(realNodeNeed({ instance: 'test', realNodes: [] }, 'auto')).toEqual({ skip: 'federation "test" has no real node: the launcher recorded no reason' });
    expect(realNodeNeed(withNode, 'off')).toEqual({ skip: 'FEDFEAT_TEST_REAL_NODE=off' });
  });

  it('without root skips, giving the launcher\'s reason', () => {
    expect(realNodeNeed(withoutNode('needs root (network namespace, cgroups, containerd)'), 'auto'))
      .toEqual({ skip: 'federation "test" has no real node: needs root (network namespace, cgroups, containerd)' });
  });

  it('as root fails, giving the launcher\'s reason and the way out', () => {
    const need = realNodeNeed(withoutNode('containerd is not installed (run local-federation/install-system-packages.sh)'), 'on');
    expect(need).toEqual({ fail: expect.stringContaining('the real node is required (FEDFEAT_TEST_REAL_NODE=on, the default when the tests run as root)') });
    const fail = (need as { fail: string }).fail;
    expect(fail).toContain('federation "test" has none: containerd is not installed');
    expect(fail).toContain('FEDFEAT_TEST_REAL_NODE=off');
    expect(realNodeNeed(withoutNode(), 'on')).toEqual({ fail: expect.stringContaining('has none: the launcher recorded no reason') });
  });
});
