import { kwokNode } from '../../../local-federation/kwok-nodes.js';

describe('KWOK nodes', () => {
  it('carries the annotation KWOK selects on and a schedulable capacity', () => {
    const n = kwokNode('member-1', 3, 'v1.34.4');
    expect(n.metadata.name).toBe('member-1-kwok-3');
    expect(n.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect((n.status as { allocatable: Record<string, string> }).allocatable.pods).toBe('110');
  });
});
