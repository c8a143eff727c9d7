// Rendering kubeconfig files (pure).
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  clusterName: string;
  server: string;
  caPem: string;
  user: string;
  /** Client certificate authentication. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** Bearer token authentication. */
  token?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function renderKubeconfig(spec: KubeconfigSpec): string {
  return renderMergedKubeconfig([spec]);
}

/** One kubeconfig with a context per cluster, named after the cluster; the first is current. */
export function renderMergedKubeconfig(specs: KubeconfigSpec[]): string {
  if (!specs.length) throw new Error('kubeconfig needs at least one cluster');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: specs.map((s) => ({ name: s.clusterName, cluster: { server: s.server, 'certificate-authority-data': b64(s.caPem) } })),
    users: specs.map((s) => ({ name: s.user, user: userEntry(s) })),
    contexts: specs.map((s) => ({ name: s.clusterName, context: { cluster: s.clusterName, user: s.user } })),
    'current-context': specs[0]!.clusterName,
  });
}

function userEntry(spec: KubeconfigSpec): Record<string, string> {
  const user: Record<string, string> = {};
  if (spec.clientCertPem && spec.clientKeyPem) {
    user['client-certificate-data'] = b64(spec.clientCertPem);
    user['client-key-data'] = b64(spec.clientKeyPem);
  } else if (spec.token) {
    user.token = spec.token;
  } else {
    throw new Error(`kubeconfig for ${spec.clusterName}: needs a client certificate or a token`);
  }
  return user;
}
