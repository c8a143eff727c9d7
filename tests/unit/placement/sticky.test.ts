import { heldForPlan } from '../../../placement/sticky.js';
import { plan } from '../../../placement/plan.js';

describe('stickiness follows the last decision, not stale Deployments', () => {
  // Seen in the placement experiment: member-1 went Offline, its replicas moved to member-3; when member-1 came
  // back, its stale Deployment made the plan keep member-1 and remove member-2's healthy Deployment instead.
  const last = [{ name: 'member-2', assigned: 2, ready: 2, pending: 0 }, { name: 'member-3', assigned: 2, ready: 2, pending: 0 }, { name: 'member-5', assigned: 2, ready: 2, pending: 0 }];

  it('a member the last decision gave nothing holds nothing, whatever its Deployment says', () => {
    expect(heldForPlan('member-1', 2, last)).toBe(0);
    expect(heldForPlan('member-2', 2, last)).toBe(2);
    // Scaled down by the last decision, not yet by the member: the decision counts.
    expect(heldForPlan('member-3', 5, last)).toBe(2);
    // No decision recorded yet (first reconcile): the Deployment's count.
    expect(heldForPlan('member-1', 2, undefined)).toBe(2);
  });

  it('so the returning member is the one left (Duplicated WorstFit over three locations)', () => {
    const qualified = [{ name: 'member-1', capacity: 20 }, { name: 'member-2', capacity: 8 }, { name: 'member-3', capacity: 8 }, { name: 'member-5', capacity: 18 }];
    const deployments: Record<string, number> = { 'member-1': 2, 'member-2': 2, 'member-3': 2, 'member-5': 2 };
    const current = Object.fromEntries(Object.entries(deployments).map(([m, n]) => [m, heldForPlan(m, n, last)]));
    const p = plan({ replicas: 2, policy: 'WorstFit', type: 'Duplicated', numberOfClusters: 3, overflow: 'Next', preferences: {}, qualified, current, key: 'ns/hello' });
    expect(p.assignments).toEqual({ 'member-5': 2, 'member-2': 2, 'member-3': 2 });
    // Before: the stale count ranks member-1 among the holders and member-2 or member-3 loses its replicas.
    const stale = plan({ replicas: 2, policy: 'WorstFit', type: 'Duplicated', numberOfClusters: 3, overflow: 'Next', preferences: {}, qualified, current: deployments, key: 'ns/hello' });
    expect(stale.assignments['member-1']).toBe(2);
  });
});
