// Leader election on its own thread against the real host API server: the
// test process's main event loop is blocked for longer than the lease duration
// while the elector's worker (the compiled dist/ entry, as the controller runs
// it) keeps renewing, and a standby replica in another worker does not take over.
import { spawn } from 'node:child_process';
import { KubeApiError, type KubeClient } from '../../kube-client/client.js';
import { leasePath, micro, type ElectionAttempt, type Lease, type LeaderElectionOptions } from '../../controller/leader-election.js';
import { LeaderElectionThread } from '../../controller/leader-election-thread.js';
import { createLogger } from '../../controller/logger.js';
import { adminClient, cluster, eventually, sleep } from './federation.js';

// ts-jest runs the TypeScript sources; a Worker needs JavaScript, so the test uses the
// compiled worker (the integration run builds dist/ first).
const WORKER = new URL('../../dist/controller/leader-election-worker.js', import.meta.url);
const NAMESPACE = 'default';
const NAME = `le-test-${Date.now()}`;
const LEASE = leasePath(NAMESPACE, NAME);
// The controller's timings (controller/run.ts).
const election = (identity: string): LeaderElectionOptions => ({
  namespace: NAMESPACE, name: NAME, identity, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000,
});
const BLOCK_MS = 20_000; // longer than the lease duration

interface Replica {
  thread: LeaderElectionThread;
  attempts: ElectionAttempt[];
  started: boolean;
  lost: boolean;
  running: Promise<void>;
}

function replica(identity: string): Replica {
  const thread = new LeaderElectionThread(createLogger('info', true), { kubeconfig: cluster('host').kubeconfig, election: election(identity), logLevel: 'warn' }, WORKER);
  const r: Replica = { thread, attempts: [], started: false, lost: false, running: Promise.resolve() };
  r.running = thread.run({ onStarted: () => (r.started = true), onLost: () => (r.lost = true), onAttempt: (a) => r.attempts.push(a) });
  return r;
}

/** Blocks this thread's event loop: nothing of it (timers, I/O, messages) runs meanwhile. */
function busyLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

describe('leader election thread', () => {
  let host: KubeClient;
  const replicas: Replica[] = [];
  const watch = new AbortController();

  beforeAll(async () => {
    host = await adminClient('host');
  });
  afterAll(async () => {
    watch.abort();
    await Promise.all(replicas.map((r) => r.thread.release()));
    await host.request('DELETE', LEASE).catch(() => undefined);
    host.close();
  });

  it('keeps renewing the lease while the main event loop is blocked longer than the lease duration, and the standby does not take over', async () => {
    const a = replica('replica-a');
    replicas.push(a);
    await a.running;
    const b = replica('replica-b');
    replicas.push(b);
    await eventually('the standby tried and was refused', async () => b.attempts.some((x) => !x.holding && !x.error), 15_000);

    // The API server's own record of every renewal: a watch from this thread's client, whose
    // events wait in the socket while the loop is blocked and are read afterwards.
    const renewTimes: number[] = [];
    const holders = new Set<string>();
    const watching = host.watch<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`, { fieldSelector: `metadata.name=${NAME}`, timeoutSeconds: 300 }, (e) => {
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
      holders.add(e.object.spec.holderIdentity ?? '');
      if (e.object.spec.renewTime) renewTimes.push(Date.parse(e.object.spec.renewTime));
    }, watch.signal).catch(() => undefined);
    await eventually('the watch sees the lease', async () => renewTimes.length > 0, 15_000);
    const before = await host.get<Lease>(LEASE);

    const blockStart = Date.now();
    busyLoop(BLOCK_MS);
    const blockEnd = Date.now();
    // The messages and watch events queued during the block come in now.
    await sleep(1_000);

    const after = await host.get<Lease>(LEASE);
    expect(after.spec.holderIdentity).toBe('replica-a');
    expect(after.spec.leaseTransitions).toBe(before.spec.leaseTransitions);
    expect(after.spec.acquireTime).toBe(before.spec.acquireTime);
    expect(Date.parse(after.spec.renewTime!)).toBeGreaterThan(blockEnd - 2 * 2_000);

    // Renewals stored by the API server during the block, never further apart than the retry period allows.
    const stored = renewTimes.filter((t) => t >= blockStart - 2_000 && t <= blockEnd + 2_000);
    const during = stored.filter((t) => t >= blockStart && t <= blockEnd);
    const gaps = stored.slice(1).map((t, i) => t - stored[i]!);
    process.stderr.write(`lease renewals stored by the API server during a ${blockEnd - blockStart} ms block: ${during.length}; largest gap ${Math.max(...gaps)} ms\n`);
    expect(during.length).toBeGreaterThanOrEqual(Math.floor(BLOCK_MS / 2_000) - 2);
    expect(Math.max(...gaps)).toBeLessThan(5_000); // renew deadline is 10 s, lease 15 s
    expect([...holders]).toEqual(['replica-a']);

    // The leader's own reports agree, and it never lost the lease.
    expect(a.attempts.filter((x) => x.holding && x.at >= blockStart && x.at <= blockEnd).length).toBeGreaterThanOrEqual(during.length);
    expect(a.lost).toBe(false);
    expect(a.thread.isLeader()).toBe(true);
    // The standby kept trying throughout and was refused every time.
    const standbyDuring = b.attempts.filter((x) => x.at >= blockStart && x.at <= blockEnd);
    expect(standbyDuring.length).toBeGreaterThanOrEqual(Math.floor(BLOCK_MS / 2_000) - 2);
    expect(standbyDuring.every((x) => !x.holding)).toBe(true);
    expect(b.started).toBe(false);
    watch.abort();
    await watching;
  });

  it('releases the lease through the worker, and the standby takes over at once', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const before = await host.get<Lease>(LEASE);
    const released = Date.now();
    await a.thread.release();
    await b.running;
    // Well within the 15 s the standby would wait for an unreleased lease.
    expect(Date.now() - released).toBeLessThan(6_000);
    const after = await host.get<Lease>(LEASE);
    expect(after.spec.holderIdentity).toBe('replica-b');
    expect(after.spec.leaseTransitions).toBe((before.spec.leaseTransitions ?? 0) + 1);
    expect(b.thread.isLeader()).toBe(true);
  });

  it('kills its process when the lease is lost while the main thread is blocked', async () => {
    const name = `${NAME}-lost`;
    const path = leasePath(NAMESPACE, name);
    // A process as the controller runs it: the compiled thread class (so its default worker URL,
    // resolved from dist/), killAfterLostMs as in run.ts, and a main thread that never comes back.
    const script = `
      import { LeaderElectionThread } from ${JSON.stringify(new URL('../../dist/controller/leader-election-thread.js', import.meta.url).href)};
      import { createLogger } from ${JSON.stringify(new URL('../../dist/controller/logger.js', import.meta.url).href)};
      const t = new LeaderElectionThread(createLogger('info'), ${JSON.stringify({
        kubeconfig: cluster('host').kubeconfig, election: { ...election('doomed'), name }, logLevel: 'info', killAfterLostMs: 2_000,
      })});
      await t.run({ onStarted: () => undefined, onLost: () => process.exit(1) });
      process.stdout.write('leading\\n');
      for (;;) {} // blocked for good: only the worker can end this process
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    try {
      await eventually('the child leads', async () => stdout.includes('leading'), 30_000);
      // Another holder keeps the lease fresh: the child's renewals are refused from now on.
      const stealStart = Date.now();
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      void exited.then((e) => (exit = e));
      while (!exit && Date.now() - stealStart < 30_000) {
        const l = await host.get<Lease>(path);
        await host.request('PUT', path, { body: { ...l, spec: { ...l.spec, holderIdentity: 'thief', renewTime: micro(new Date()) } } })
          .catch((e: unknown) => { if (!(e instanceof KubeApiError && e.statusCode === 409)) throw e; });
        await sleep(1_000);
      }
      const took = Date.now() - stealStart;
      process.stderr.write(`blocked leader killed ${took} ms after its lease was taken (renew deadline 10 s + 2 s grace)\n`);
      expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
      // At most renew deadline + grace after its last renewal, before the 15 s lease could have expired.
      expect(took).toBeLessThan(10_000 + 2_000 + 1_500);
      expect(stderr).toContain('"message":"lost leadership"');
      expect(stderr).toContain('killing the process');
    } catch (e) {
      throw new Error(`${(e as Error).message}\nchild stdout: ${stdout}\nchild stderr: ${stderr}`);
    } finally {
      child.kill('SIGKILL');
      await host.request('DELETE', path).catch(() => undefined);
    }
  });
});
