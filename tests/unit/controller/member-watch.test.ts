import { lastManager } from '../../../controller/member-watch.js';

describe('lastManager', () => {
  it('names the field manager of the newest managedFields entry', () => {
    expect(lastManager({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x', managedFields: [
      { manager: 'kubectl', time: '2026-01-01T00:00:00Z' },
      { manager: 'gke-upgrade', time: '2026-01-02T00:00:00Z' },
      { manager: 'fedfeat', time: '2026-01-01T12:00:00Z' },
    ] } })).toBe('gke-upgrade');
    expect(lastManager({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } })).toBeUndefined();
  });
});
