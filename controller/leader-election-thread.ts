// Leader election on its own thread. A lease renewed from the main event loop
// is lost when that loop is busy (thousands of members: long synchronous work,
// a saturated host client); a Worker has its own event loop and its own
// KubeClient (own connections, own deadlines), so renewals go on regardless.
// The worker reports to the main thread by message and, if leadership is lost
// while the main thread is too busy to exit, kills the process itself.
import { Worker } from 'node:worker_threads';
import type { ElectionAttempt, ElectionCallbacks, LeaderElectionOptions } from './leader-election.js';
import type { Logger } from './logger.js';

/** What the worker is started with (structured-cloned: plain data only). */
export interface LeaderWorkerData {
  /** The kubeconfig file; without it the in-cluster service account (as KubeConfig.loadFromDefault). */
  kubeconfig?: string;
  election: LeaderElectionOptions;
  logLevel: string;
  /**
   * After losing leadership the main thread exits on the "stopped-leading" message; if it has not
   * within this time (a blocked event loop), the worker kills the process: a replica that no longer
   * holds the lease must stop acting before the lease expires and a standby takes over. Unset: never.
   */
  killAfterLostMs?: number;
}

export type ToWorker = { type: 'release' };
export type FromWorker =
  | { type: 'started-leading' }
  | { type: 'stopped-leading' }
  | { type: 'attempt'; attempt: ElectionAttempt }
  | { type: 'released' };

/** The compiled worker next to this file (dist/controller/). */
export const LEADER_WORKER_URL = new URL('./leader-election-worker.js', import.meta.url);

export class LeaderElectionThread {
  private worker?: Worker;
  private leading = false;
  private lastRenew?: number;
  private releasing = false;

  /** workerUrl: tests running from TypeScript sources pass the compiled worker in dist/. */
  constructor(private readonly log: Logger, private readonly data: LeaderWorkerData, private readonly workerUrl: URL = LEADER_WORKER_URL) {}

  /** True between "started-leading" and "stopped-leading" as this thread has seen them. */
  isLeader(): boolean {
    return this.leading;
  }

  /** When the lease was last renewed (ms since the epoch), as reported by the worker; undefined before leading. */
  lastRenewAt(): number | undefined {
    return this.lastRenew;
  }

  /**
   * Starts the worker; resolves when this replica leads. onLost is called when the worker
   * lost the lease or died (then nobody renews it). Rejects if the worker dies before leading.
   */
  run(cb: ElectionCallbacks): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Workers inherit the process's Node flags; --input-type (for -e scripts) makes a file worker fail to start.
      const execArgv = process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type');
      const w = new Worker(this.workerUrl, { workerData: this.data, execArgv });
      this.worker = w;
      w.on('message', (m: FromWorker) => {
        if (m.type === 'attempt') {
          if (m.attempt.holding) this.lastRenew = m.attempt.at;
          cb.onAttempt?.(m.attempt);
        } else if (m.type === 'started-leading') {
          this.leading = true;
          cb.onStarted();
          resolve();
        } else if (m.type === 'stopped-leading') {
          this.leading = false;
          cb.onLost();
        }
      });
      w.on('error', (e) => this.log.error('leader election thread failed', { error: e.message }));
      w.on('exit', (code) => {
        if (this.releasing) return;
        const wasLeading = this.leading;
        this.leading = false;
        this.log.error('leader election thread exited', { code });
        if (wasLeading) cb.onLost();
        else reject(new Error(`leader election thread exited with code ${code}`));
      });
    });
  }

  /** Gives the lease up (if held) and ends the worker; waits at most timeoutMs for the release. */
  async release(timeoutMs = 5_000): Promise<void> {
    const w = this.worker;
    if (!w || this.releasing) return;
    this.releasing = true;
    this.leading = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      w.on('message', (m: FromWorker) => m.type === 'released' && done());
      w.once('exit', done);
      w.postMessage({ type: 'release' } satisfies ToWorker);
    });
    await w.terminate();
  }
}
