// The leader election thread's entry (see leader-election-thread.ts): its own
// KubeClient from the same kubeconfig or in-cluster config, a LeaderElector,
// and messages to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../kube-client/client.js';
import { LeaderElector } from './leader-election.js';
import type { FromWorker, LeaderWorkerData, ToWorker } from './leader-election-thread.js';
import { createLogger, syncStderr } from './logger.js';

const port = parentPort;
if (!port) throw new Error('leader-election-worker.js runs as a worker thread');
const data = workerData as LeaderWorkerData;
const post = (m: FromWorker) => port.postMessage(m);
// Synchronous stderr: process.stderr of a worker goes through the (maybe busy) main thread.
const log = createLogger(data.logLevel, false, syncStderr()).child({ thread: 'leader-election' });

const kc = new KubeConfig();
if (data.kubeconfig) kc.loadFromFile(data.kubeconfig);
else kc.loadFromDefault();
const client = await KubeClient.fromKubeConfig(kc);
const elector = new LeaderElector(client, log, data.election);

port.on('message', (m: ToWorker) => {
  if (m.type !== 'release') return;
  void elector.release().finally(() => {
    client.close();
    post({ type: 'released' });
  });
});

void elector.run({
  onStarted: () => post({ type: 'started-leading' }),
  onAttempt: (attempt) => post({ type: 'attempt', attempt }),
  onLost: () => {
    post({ type: 'stopped-leading' });
    const after = data.killAfterLostMs;
    if (after === undefined) return;
    setTimeout(() => {
      // process.exit() here would end only this thread; a signal ends the process whatever the main thread does.
      log.error('main thread did not exit after leadership was lost: killing the process', { waitedMs: after });
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 50);
    }, after);
  },
});
