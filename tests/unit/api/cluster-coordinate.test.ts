import { describe, expect, it } from '@jest/globals';
import { fromMilliseconds, renderClusterCoordinate, toMilliseconds } from '../../../api/cluster-coordinate.js';
import { newCoordinate } from '../../../coordinates/vivaldi.js';

describe('ClusterCoordinate', () => {
  it('renders a member’s coordinate in milliseconds, owned by its KubeFedCluster', () => {
    const coordinate = { ...newCoordinate(), vec: [0.0123456, 0, 0, 0, 0, 0, 0, -0.001], height: 0.0005, error: 0.25 };
    const o = renderClusterCoordinate({ name: 'member-1', uid: 'u1' }, { coordinate, measuredRTT: 0.0131, predictedRTT: 0.0134, samples: 7 }, newCoordinate(), new Date('2026-11-25T00:00:00Z'));
    expect(o.metadata).toMatchObject({ name: 'member-1', namespace: 'kube-federation-system' });
    expect(o.metadata.ownerReferences).toEqual([{ apiVersion: 'core.kubefed.io/v1beta1', kind: 'KubeFedCluster', name: 'member-1', uid: 'u1' }]);
    expect(o.coordinate.vec[0]).toBe(12.346);
    expect(o.coordinate.height).toBe(0.5);
    expect(o).toMatchObject({ cluster: 'member-1', source: 'host', measuredRTTMilliseconds: 13.1, predictedRTTMilliseconds: 13.4, samples: 7, updateTime: '2026-11-25T00:00:00.000Z' });
  });
  it('milliseconds round-trip to seconds within the stored precision', () => {
    const c = { vec: [0.01, 0.002, 0, 0, 0, 0, 0, 0], height: 0.001, adjustment: -0.0002, error: 0.5 };
    const back = fromMilliseconds(toMilliseconds(c));
    back.vec.forEach((x, i) => expect(x).toBeCloseTo(c.vec[i]!, 6));
    expect(back.adjustment).toBeCloseTo(-0.0002, 6);
  });
});
