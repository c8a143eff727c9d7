import { validateUpOptions } from '../../../local-federation/launcher.js';

describe('up options', () => {
  it.each([
    [{ members: 0 }, /--members must be/],
    [{ members: 2.5 }, /--members must be/],
    [{ nodesPerMember: -1 }, /--nodes must be/],
    [{ realNode: 'maybe' }, /--real-node must be/],
    [{ realNodes: 0 }, /--real-nodes must be a whole number from 1 to 8/],
    [{ realNodes: 9 }, /--real-nodes must be/],
    [{ realNodes: 1.5 }, /--real-nodes must be/],
  ])('rejects %j', (bad, msg) => {
    expect(() => validateUpOptions({ instance: 'x', members: 3, nodesPerMember: 5, realNode: 'auto', ...bad } as never)).toThrow(msg);
  });

  it('accepts the defaults', () => {
    expect(() => validateUpOptions({ instance: 'x', members: 3, nodesPerMember: 5, realNode: 'auto' })).not.toThrow();
    expect(() => validateUpOptions({ instance: 'x', members: 3, nodesPerMember: 5, realNode: 'auto', realNodes: 1 })).not.toThrow();
    expect(() => validateUpOptions({ instance: 'x', members: 3, nodesPerMember: 5, realNode: 'auto', realNodes: 8 })).not.toThrow();
  });
});
