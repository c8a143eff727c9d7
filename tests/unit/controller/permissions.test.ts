import { insufficientPermissions, joinedAccessProblem } from '../../../controller/permissions.js';
import { KubeApiError } from '../../../kube-client/client.js';

describe('permission problems as feature status', () => {
  it('names the refused verb, resource and namespace of a 403', () => {
    const e = new KubeApiError('POST', '/api/v1/namespaces/fedfeat-probe/pods', 403, 'pods is forbidden: User "x" cannot create resource "pods"', '');
    const s = insufficientPermissions(e, 'member-1', 'podpreset', 'probe');
    expect(s).toMatchObject({ state: 'Unknown', reason: 'InsufficientPermissions' });
    expect(s.message).toContain('create pods in namespace fedfeat-probe is not allowed');
    expect(s.message).toContain('fedfeat join member-1 --access inform --features podpreset');
    expect(insufficientPermissions(e, 'member-1', 'podpreset', 'reconfigure').state).toBe('Failed');
  });

  it('an inform-access member is reported before any change; a feature not joined too; others pass', () => {
    const f = { name: 'podpreset' as const };
    expect(joinedAccessProblem({ access: 'inform', features: ['podpreset'] }, 'm', f, 'missing')).toMatchObject({ state: 'Missing', reason: 'InformAccessOnly' });
    expect(joinedAccessProblem({ access: 'enforce', features: ['networkpolicy'] }, 'm', f, 'missing')).toMatchObject({ reason: 'FeatureNotJoined' });
    expect(joinedAccessProblem({ access: 'enforce', features: ['podpreset'] }, 'm', f, 'missing')).toBeUndefined();
    expect(joinedAccessProblem({ access: 'enforce', features: ['cpumanagementpolicy'] }, 'm', { name: 'kubelet', kubelet: {} } as never, 'missing')).toBeUndefined();
    expect(joinedAccessProblem(undefined, 'm', f, 'missing')).toBeUndefined();
  });
});
