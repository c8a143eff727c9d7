// `fedfeat status [NAME] [--watch]`: the FeatureConfig status table.
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../kube-client/client.js';
import { sleep } from '../kube-client/wait.js';
import type { Command } from './args.js';
import { fetchCoordinates, fetchFeatureConfigs, renderCoordinates, renderStatus } from './status-table.js';

export async function statusCommand(c: Command<'status'>): Promise<number> {
  const kc = new KubeConfig();
  if (c.values.kubeconfig) kc.loadFromFile(c.values.kubeconfig);
  else kc.loadFromDefault();
  const host = await KubeClient.fromKubeConfig(kc);
  try {
    for (;;) {
      const text = renderStatus(await fetchFeatureConfigs(host, c.args[0])) + (c.args[0] ? '' : renderCoordinates(await fetchCoordinates(host)));
      if (!c.values.watch) {
        process.stdout.write(text);
        return 0;
      }
      process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}\n${text}`);
      await sleep(2000);
    }
  } finally {
    host.close();
  }
}
