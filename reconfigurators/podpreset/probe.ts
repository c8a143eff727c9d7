// Probe: is an API resource served? Uses discovery (/apis/GROUP/VERSION) only.
import { KubeApiError, type KubeClient } from '../../kube-client/client.js';

export interface ApiResourceCheck {
  served: boolean;
  message: string;
}

export async function apiResourceServed(client: KubeClient, group: string, version: string, resource: string, timeoutMs: number): Promise<ApiResourceCheck> {
  const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
  try {
    const list = await client.get<{ resources?: Array<{ name: string }> }>(path, { timeoutMs });
    const served = list.resources?.some((r) => r.name === resource) ?? false;
    return { served, message: served ? `${group}/${version} ${resource} is served` : `${group}/${version} is served but has no ${resource}` };
  } catch (e) {
    if (e instanceof KubeApiError && e.statusCode === 404) return { served: false, message: `${group}/${version} is not served (discovery ${path}: 404)` };
    throw e;
  }
}
