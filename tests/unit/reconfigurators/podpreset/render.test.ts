import { podPresetCrd, renderInstall } from '../../../../reconfigurators/podpreset/render.js';
import { createWebhookCA, issueServingCert, servingCertProblem } from '../../../../reconfigurators/podpreset/certs.js';

type Webhook = { clientConfig: { url?: string; service?: { namespace: string; name: string; path: string; port: number }; caBundle: string }; namespaceSelector: unknown; failurePolicy: string };

describe('PodPreset install objects', () => {
  it('point the webhook at the in-cluster Service by default (what users get)', () => {
    const objs = renderInstall({ caBundle: 'Q0E=' });
    expect(objs.map((o) => o.kind)).toEqual(['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Service', 'MutatingWebhookConfiguration']);
    const mwc = objs.at(-1) as unknown as { webhooks: Webhook[] };
    expect(mwc.webhooks[0]!.clientConfig).toEqual({ service: { namespace: 'fedfeat-system', name: 'podpreset-webhook', path: '/mutate-v1-pod', port: 443 }, caBundle: 'Q0E=' });
    expect(mwc.webhooks[0]!.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'fedfeat-system'] }] });
    const svc = objs.find((o) => o.kind === 'Service') as unknown as { spec: { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string }> } };
    const dep = objs.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ name: string }> }> } } } };
    // The Service selects the Deployment's pods and targets their named port.
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(dep.spec.template.metadata.labels[k]).toBe(v);
    expect(dep.spec.template.spec.containers[0]!.ports[0]!.name).toBe(svc.spec.ports[0]!.targetPort);
    for (const o of objs) expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('fedfeat');
  });

  it('uses a URL when the member asks for one (local federation)', () => {
    const mwc = renderInstall({ caBundle: 'Q0E=', url: 'https://127.0.0.1:9443/' }).at(-1) as unknown as { webhooks: Webhook[] };
    expect(mwc.webhooks[0]!.clientConfig).toEqual({ url: 'https://127.0.0.1:9443/mutate-v1-pod', caBundle: 'Q0E=' });
  });

  it('keeps the original API group and marks the protected group honestly', () => {
    const crd = podPresetCrd() as unknown as { metadata: { name: string; annotations: Record<string, string> }; spec: { group: string; versions: Array<{ name: string }> } };
    expect(crd.metadata.name).toBe('podpresets.settings.k8s.io');
    expect(crd.spec.versions[0]!.name).toBe('v1alpha1');
    expect(crd.metadata.annotations['api-approved.kubernetes.io']).toMatch(/^unapproved, /);
  });
});

describe('webhook certificates', () => {
  const want = { dnsNames: ['podpreset-webhook.fedfeat-system.svc'], ipAddresses: ['127.0.0.1'] };
  it('are accepted when fresh, and renewed when expiring, foreign or missing a name', async () => {
    const ca = await createWebhookCA(30);
    const serving = await issueServingCert(ca, want.dnsNames, want.ipAddresses, 10);
    expect(servingCertProblem(serving.cert, ca.cert, want, 5 * 86_400_000)).toBeUndefined();
    expect(servingCertProblem(serving.cert, ca.cert, want, 20 * 86_400_000)).toMatch(/expires/);
    expect(servingCertProblem(serving.cert, ca.cert, { ...want, ipAddresses: ['10.0.0.1'] }, 0)).toMatch(/lacks IP Address:10.0.0.1/);
    const other = await createWebhookCA(30);
    expect(servingCertProblem(serving.cert, other.cert, want, 0)).toMatch(/not signed by the webhook CA/);
    expect(servingCertProblem(undefined, ca.cert, want, 0)).toBe('no serving certificate');
  });
});
