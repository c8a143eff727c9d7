import { desiredFeatures } from '../../../api/featureconfig.js';

describe('desiredFeatures', () => {
  it('maps the flat form of Listing 1 to three features', () => {
    expect(desiredFeatures({ cpumanagementpolicy: 'static', podpreset: true, networkpolicy: true }).map((f) => f.name))
      .toEqual(['podpreset', 'cpumanagementpolicy', 'networkpolicy']);
  });
  it('folds cpumanagementpolicy into structured kubelet settings', () => {
    const [k] = desiredFeatures({ cpumanagementpolicy: 'static', kubelet: { reservedSystemCPUs: '0' } });
    expect(k).toEqual({ name: 'kubelet', kubelet: { reservedSystemCPUs: '0', cpuManagerPolicy: 'static' } });
  });
  it('asks for nothing when flags are false', () => {
    expect(desiredFeatures({ podpreset: false, networkpolicy: false })).toEqual([]);
  });
  it('carries the node rollout settings (maxUnavailableNodes, drainNodes) to the kubelet feature only', () => {
    expect(desiredFeatures({ cpumanagementpolicy: 'static', podpreset: true, rollout: { maxUnavailableNodes: 2, drainNodes: true } })).toEqual([
      { name: 'podpreset' },
      { name: 'cpumanagementpolicy', kubelet: { cpuManagerPolicy: 'static' }, maxUnavailableNodes: 2, drainNodes: true },
    ]);
    expect(desiredFeatures({ kubelet: { containerLogMaxFiles: 3 }, rollout: { drainNodes: false } })).toEqual([{ name: 'kubelet', kubelet: { containerLogMaxFiles: 3 } }]);
  });
});
