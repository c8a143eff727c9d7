// KubeFedCluster (core.kubefed.io/v1beta1): how members are registered on the host.
import type { KubeObject } from '../kube-client/client.js';

export const KUBEFED_API_VERSION = 'core.kubefed.io/v1beta1';
export const KUBEFED_PLURAL = 'kubefedclusters';
export const KUBEFED_NAMESPACE = 'kube-federation-system';

export interface ClusterCondition {
  type: 'Ready' | 'Offline' | string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface KubeFedCluster extends KubeObject {
  spec: {
    apiEndpoint: string;
    /** Base64 of a PEM bundle. */
    caBundle?: string;
    disabledTLSValidations?: string[];
    proxyURL?: string;
    secretRef: { name: string };
  };
  status?: { conditions?: ClusterCondition[]; region?: string; zones?: string[] };
}

/** KubeFed allows host, host:port and URLs; the controller always needs a URL. */
export function apiEndpointURL(endpoint: string): string {
  return /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
}
