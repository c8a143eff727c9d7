// `fedfeat webhook podpreset`: the webhook as a process, in-cluster (service
// account, certificate from a mounted Secret) or beside a local member.
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../controller/logger.js';
import { KubeClient } from '../../kube-client/client.js';
import { PodPresetWebhook } from './server.js';
import { tlsFromDir, tlsFromSecret } from './tls-source.js';

export interface WebhookRunOptions {
  kubeconfig?: string;
  listen: string;
  tlsDir?: string;
  tlsSecret?: string;
}

export async function runPodPresetWebhook(o: WebhookRunOptions): Promise<void> {
  if (!!o.tlsDir === !!o.tlsSecret) throw new Error('give exactly one of --tls-dir DIR or --tls-secret NAMESPACE/NAME');
  const i = o.listen.lastIndexOf(':');
  const port = Number(o.listen.slice(i + 1));
  if (i < 0 || !Number.isInteger(port)) throw new Error(`--listen must be HOST:PORT (got "${o.listen}")`);
  const log = createLogger().child({ component: 'podpreset-webhook' });
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromDefault();
  const client = await KubeClient.fromKubeConfig(kc);
  let tls;
  if (o.tlsSecret) {
    const [ns, name] = o.tlsSecret.split('/');
    if (!ns || !name) throw new Error(`--tls-secret must be NAMESPACE/NAME (got "${o.tlsSecret}")`);
    tls = tlsFromSecret(client, ns, name);
  } else tls = tlsFromDir(o.tlsDir!);
  const webhook = new PodPresetWebhook(client, log, { host: o.listen.slice(0, i) || '0.0.0.0', port, tls });
  const shutdown = async (signal: string) => {
    log.info('shutting down', { signal });
    await webhook.stop();
    client.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await webhook.start();
}
