// REST paths for Kubernetes resources: core group under /api, others under /apis.

export function resourcePath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const suffix = name ? `/${encodeURIComponent(name)}` : '';
  return `${prefix}${ns}/${plural}${suffix}`;
}
