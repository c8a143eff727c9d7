// Where the webhook's serving certificate comes from, re-read periodically so
// a renewed certificate is picked up without a restart: files of a mounted
// Secret (in-cluster), or the Secret itself read through the API (the local
// federation, where the webhook runs as a host process).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Changes whenever the material does. */
  version: string;
}

export interface TlsSource {
  describe: string;
  /** undefined while there is no certificate yet. */
  load(): Promise<TlsMaterial | undefined>;
}

export function tlsFromDir(dir: string): TlsSource {
  return {
    describe: `files in ${dir}`,
    async load() {
      try {
        const files = ['tls.crt', 'tls.key'].map((f) => path.join(dir, f));
        const version = files.map((f) => statSync(f).mtimeMs).join('/');
        return { cert: readFileSync(files[0]!, 'utf8'), key: readFileSync(files[1]!, 'utf8'), version };
      } catch {
        return undefined;
      }
    },
  };
}

export function tlsFromSecret(client: KubeClient, namespace: string, name: string): TlsSource {
  return {
    describe: `Secret ${namespace}/${name}`,
    async load() {
      const s = await client.getOptional<KubeObject & { data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`);
      if (!s?.data?.['tls.crt'] || !s.data['tls.key']) return undefined;
      const dec = (b: string) => Buffer.from(b, 'base64').toString('utf8');
      return { cert: dec(s.data['tls.crt']), key: dec(s.data['tls.key']), version: s.metadata.resourceVersion ?? '' };
    },
  };
}
