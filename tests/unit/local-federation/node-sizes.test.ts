import { DEFAULT_NODE_SIZE, formatNodeSizes, nodeSizeOf, parseNodeSizes } from '../../../local-federation/node-sizes.js';
import { kwokNode } from '../../../local-federation/kwok-nodes.js';

describe('per-member KWOK node sizes', () => {
  it("parses mck8s's testbed: named members, then \"*\" for the others", () => {
    const s = parseNodeSizes('member-1=4/16Gi, member-5=4/16Gi,*=2/4Gi', 5);
    expect(s).toEqual({ 'member-1': { cpu: '4', memory: '16Gi' }, 'member-5': { cpu: '4', memory: '16Gi' }, '*': { cpu: '2', memory: '4Gi' } });
    expect(nodeSizeOf(s, 'member-5')).toEqual({ cpu: '4', memory: '16Gi' });
    expect(nodeSizeOf(s, 'member-3')).toEqual({ cpu: '2', memory: '4Gi' });
    expect(formatNodeSizes(s)).toBe('member-1=4/16Gi,member-5=4/16Gi,*=2/4Gi');
  });

  it('keeps the default for members not named when there is no "*", and with no option at all', () => {
    const s = parseNodeSizes('member-2=2500m/3Gi', 3);
    expect(nodeSizeOf(s, 'member-2')).toEqual({ cpu: '2500m', memory: '3Gi' });
    expect(nodeSizeOf(s, 'member-1')).toEqual(DEFAULT_NODE_SIZE);
    expect(nodeSizeOf(undefined, 'member-1')).toEqual({ cpu: '8', memory: '32Gi' });
  });

  it.each([
    ['member-1=4', /not MEMBER=CPU\/MEMORY/],
    ['member-1:4/16Gi', /not MEMBER=CPU\/MEMORY/],
    ['member-6=4/16Gi', /member-6 is not one of member-1..member-5/],
    ['cluster1=4/16Gi', /cluster1 is not one of/],
    ['member-1=four/16Gi', /CPU "four" is not a positive quantity/],
    ['member-1=0/16Gi', /CPU "0" is not a positive quantity/],
    ['member-1=4/16GB', /memory "16GB" is not a quantity/],
    ['member-1=4/100Ki', /at least 1Mi/],
    ['member-1=4/16Gi,member-1=2/4Gi', /names member-1 twice/],
  ])('refuses %s', (spec, err) => {
    expect(() => parseNodeSizes(spec, 5)).toThrow(err);
  });

  it('sizes the KWOK node object (allocatable and capacity)', () => {
    const n = kwokNode('member-2', 1, 'v1.34.4', false, { cpu: '2', memory: '4Gi' });
    const st = n.status as { allocatable: Record<string, string>; capacity: Record<string, string> };
    expect(st.allocatable).toMatchObject({ cpu: '2', memory: '4Gi', pods: '110' });
    expect(st.capacity).toMatchObject({ cpu: '2', memory: '4Gi' });
    expect((kwokNode('member-2', 1, 'v1.34.4').status as { allocatable: Record<string, string> }).allocatable).toMatchObject({ cpu: '8', memory: '32Gi' });
  });
});
