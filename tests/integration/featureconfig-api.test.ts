// The FeatureConfig CRD on a real API server: what applies, what is refused
// and with which message, and what kubectl shows.
import path from 'node:path';
import { repoRoot } from '../../local-federation/repo-root.js';
import { installHostManifests, kubectl, kubectlResult } from './controller-process.js';

const listing1 = (name: string) => `apiVersion: feature.kubefed.io/v1alpha1
kind: FeatureConfig
metadata:
  name: ${name}
spec:
  cpumanagementpolicy: static
  podpreset: true
  networkpolicy: true
`;

const fc = (name: string, spec: string) => `apiVersion: feature.kubefed.io/v1alpha1\nkind: FeatureConfig\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('FeatureConfig API', () => {
  beforeAll(() => installHostManifests());

  it("applies the paper's Listing 1 spec unchanged, with defaults filled in", () => {
    kubectl(['apply', '-f', path.join(repoRoot, 'examples', 'listing-1-featureconfig.yaml'), '--dry-run=server']);
    const out = JSON.parse(kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { input: listing1('api-listing-1') })) as { spec: Record<string, unknown> };
    expect(out.spec).toEqual({ cpumanagementpolicy: 'static', podpreset: true, networkpolicy: true, mode: 'enforce', deletionPolicy: 'Retain' });
  });

  it("refuses Listing 1's upper-case name with the API server's naming rule", () => {
    const r = kubectlResult(['create', '--dry-run=server', '-f', '-'], { input: listing1('CPUManagementPolicy') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/metadata.name: Invalid value: "CPUManagementPolicy"/);
    expect(r.stderr).toMatch(/RFC 1123/);
  });

  it.each([
    ['an unknown CPU manager policy', '  cpumanagementpolicy: dynamic\n', /spec.cpumanagementpolicy: Unsupported value: "dynamic"/],
    ['the two forms disagreeing', '  cpumanagementpolicy: static\n  kubelet:\n    cpuManagerPolicy: none\n', /spec.kubelet.cpuManagerPolicy: Invalid value.*disagree/],
    ['no feature at all', '  mode: inform\n', /spec: Invalid value.*at least one feature/],
    ['a pool that is not a CIDR', '  networkpolicy: true\n  calico:\n    poolCIDR: 10.0.0.0/33\n', /spec.calico.poolCIDR: Invalid value.*IPv4 CIDR/],
    ['a pool covering every address', '  networkpolicy: true\n  calico:\n    poolCIDR: 0.0.0.0/0\n', /spec.calico.poolCIDR: Invalid value.*must not cover every address/],
    ['an unknown Calico routing mode', '  networkpolicy: true\n  calico:\n    routing: overlay\n', /spec.calico.routing: Unsupported value: "overlay"/],
    ['calico settings without networkpolicy', '  podpreset: true\n  calico:\n    version: v3.28.0\n', /spec.calico: Invalid value.*networkpolicy: true/],
    ['an unknown mode', '  podpreset: true\n  mode: yolo\n', /spec.mode: Unsupported value: "yolo"/],
    ['a drainNodes that is not a boolean', '  cpumanagementpolicy: static\n  rollout:\n    drainNodes: "maybe"\n', /spec.rollout.drainNodes: Invalid value: "string": spec.rollout.drainNodes in body must be of type boolean/],
    ['a selector expression without values', '  podpreset: true\n  clusterSelector:\n    matchExpressions:\n    - {key: env, operator: In}\n', /spec.clusterSelector.matchExpressions\[0\]: Invalid value.*values must be non-empty/],
  ])('refuses %s, naming the field', (_what, spec, message) => {
    const r = kubectlResult(['create', '--dry-run=server', '-f', '-'], { input: fc('api-invalid', spec) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('teaches the API through kubectl explain', () => {
    const out = kubectl(['explain', 'featureconfig.spec']);
    expect(out).toMatch(/GROUP:\s+feature.kubefed.io/);
    expect(out).toMatch(/cpumanagementpolicy\s+<string>/);
    expect(out).toMatch(/enum: none, static/);
    expect(out).toMatch(/shorthand for spec.kubelet.cpuManagerPolicy/);
    expect(kubectl(['explain', 'featureconfig.spec.rollout.drainNodes'])).toMatch(/cordoned\s+and\s+its\s+pods\s+evicted\s+through\s+the\s+Eviction\s+API[\s\S]*PodDisruptionBudgets\s+are\s+respected/);
    expect(kubectl(['explain', 'featureconfig.status.attention.state'])).toMatch(/Supported/);
    expect(kubectl(['explain', 'featureconfig.status.members'])).toMatch(/ClusterFeatureStatus objects/);
    expect(kubectl(['explain', 'clusterfeaturestatus.features.state'])).toMatch(/Supported/);
  });

  it('installs with kubectl apply -k manifests/ (server dry run of everything, Deployment included)', () => {
    const out = kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=fedfeat-install', '--force-conflicts', '-k', path.join(repoRoot, 'manifests')]);
    for (const obj of ['deployment.apps/fedfeat-controller', 'clusterrole.rbac.authorization.k8s.io/fedfeat-controller', 'customresourcedefinition.apiextensions.k8s.io/featureconfigs.feature.kubefed.io', 'customresourcedefinition.apiextensions.k8s.io/clusterfeaturestatuses.feature.kubefed.io']) {
      expect(out).toContain(obj);
    }
  });
});
