// Member clusters as the host registers them (KubeFedCluster + token Secret),
// each with a client built from its endpoint, CA bundle and token, and a
// health checker like KubeFed's: /healthz on an interval with a timeout and
// failure/success thresholds, written to the KubeFedCluster's status as Ready
// and Offline conditions. An Offline member is reported, not hammered.
// Scaling (member-health.ts): probes spread over the period by member, a cap
// on probes in flight, status written on change or at a slow refresh only.
import { apiEndpointURL, KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type ClusterCondition, type KubeFedCluster } from '../api/kubefed.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import type { Informer } from './informer.js';
import type { Logger } from './logger.js';
import { cachedStatus, conditionsSignature, ProbeScheduler, shouldWriteStatus } from './member-health.js';

export interface HealthOptions {
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
  /** Most /healthz probes (and status writes) in flight at once, over all members. */
  concurrency?: number;
  /** Longest the KubeFedCluster lastProbeTime may grow old while nothing changes. */
  statusRefreshMs?: number;
}

export const DEFAULT_HEALTH: HealthOptions = {
  periodMs: 10_000, timeoutMs: 3_000, failureThreshold: 3, successThreshold: 1,
  // 3,500 members at 10 s is 350 probes/s; at ~50 ms each that is ~20 in flight, so 100 leaves room for slow members.
  concurrency: 100,
  // 5 min: lastProbeTime says the member was looked at recently; 3,500 members then cost ~12 host writes/s, not 350.
  statusRefreshMs: 300_000,
};

export interface Member {
  name: string;
  labels: Record<string, string>;
  /** KubeFedCluster annotations: per-member settings such as fedfeat.io/podpreset-webhook-url. */
  annotations: Record<string, string>;
  client?: KubeClient;
  /** Why no client could be built (missing Secret, bad CA...). */
  configError?: string;
  ready: boolean;
  /** Ready=false because the API server does not answer (vs. answers unhealthy). */
  offline: boolean;
  lastError?: string;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Fingerprint of the spec + Secret the client was built from. */
  fingerprint: string;
}

type Secret = KubeObject & { data?: Record<string, string> };

/** Health hysteresis (pure): the next ready/offline after one probe. */
export function nextHealth(
  m: Pick<Member, 'ready' | 'offline' | 'consecutiveFailures' | 'consecutiveSuccesses'>,
  probe: { ok: boolean; reachable: boolean },
  o: Pick<HealthOptions, 'failureThreshold' | 'successThreshold'>,
): Pick<Member, 'ready' | 'offline' | 'consecutiveFailures' | 'consecutiveSuccesses'> {
  if (probe.ok) {
    const s = m.consecutiveSuccesses + 1;
    const flip = s >= o.successThreshold;
    return { ready: flip ? true : m.ready, offline: flip ? false : m.offline, consecutiveSuccesses: s, consecutiveFailures: 0 };
  }
  const f = m.consecutiveFailures + 1;
  const flip = f >= o.failureThreshold;
  return { ready: flip ? false : m.ready, offline: flip ? !probe.reachable : m.offline, consecutiveFailures: f, consecutiveSuccesses: 0 };
}

export class MemberRegistry {
  private readonly members = new Map<string, Member>();
  private readonly scheduler: ProbeScheduler;
  private started = false;
  /** Status write counters, for load figures and tests. */
  readonly statusStats = { writes: 0, skipped: 0 };
  private readonly listeners: Array<(name: string, why: string) => void> = [];
  private readonly rttListeners: Array<(name: string, rttSeconds: number) => void> = [];

  constructor(
    private readonly host: KubeClient,
    private readonly clusters: Informer<KubeFedCluster>,
    private readonly secrets: Informer<Secret>,
    private readonly log: Logger,
    private readonly health: HealthOptions = DEFAULT_HEALTH,
    private readonly fieldManager = 'fedfeat-controller',
  ) {
    this.scheduler = new ProbeScheduler(
      { periodMs: health.periodMs, concurrency: health.concurrency ?? DEFAULT_HEALTH.concurrency! },
      (name) => this.probeByName(name),
    );
    // Handlers fire during the informers' first lists; build members only once both caches are complete.
    // Each event touches only the member(s) it concerns: a full pass per event would be O(N²) while
    // thousands of KubeFedClusters and Secrets arrive.
    const one = (k: KubeFedCluster) => {
      if (this.started && k.metadata.namespace === KUBEFED_NAMESPACE) this.syncMember(k.metadata.name);
    };
    // Our own status writes come back as updates: only spec, labels and annotations make a member anew.
    const registration = (k: KubeFedCluster) => JSON.stringify([k.spec, k.metadata.labels ?? {}, k.metadata.annotations ?? {}]);
    clusters.addHandlers({ onAdd: one, onUpdate: (a, b) => registration(a) !== registration(b) && one(b), onDelete: one });
    const bySecret = (s: Secret) => {
      if (!this.started || s.metadata.namespace !== KUBEFED_NAMESPACE) return;
      for (const name of this.secretUsers.get(s.metadata.name) ?? []) this.syncMember(name);
    };
    secrets.addHandlers({ onAdd: bySecret, onUpdate: bySecret, onDelete: bySecret });
  }

  /** Secret name → KubeFedClusters whose secretRef names it, kept as members are synced. */
  private readonly secretUsers = new Map<string, Set<string>>();
  /** The Secret each member was last synced with, to keep secretUsers exact. */
  private readonly secretOf = new Map<string, string>();

  /** Called with a member name when it appears, disappears, changes or flips health. */
  onChange(fn: (name: string, why: string) => void): void {
    this.listeners.push(fn);
  }

  /** Called with the round-trip time of every successful /healthz probe (network coordinates learn from it). */
  onProbeRTT(fn: (name: string, rttSeconds: number) => void): void {
    this.rttListeners.push(fn);
  }

  get(name: string): Member | undefined {
    return this.members.get(name);
  }

  list(): Member[] {
    return [...this.members.values()];
  }

  /** Call once the KubeFedCluster and Secret informers have synced. */
  start(): void {
    this.started = true;
    this.sync();
  }

  stop(): void {
    this.scheduler.stop();
    for (const m of this.members.values()) m.client?.close();
  }

  /** Probe scheduler counters: probes run, turns skipped because the previous probe was still pending, most in flight. */
  get probeStats(): { probes: number; skipped: number; maxInFlight: number; inFlight: number; queued: number } {
    return { ...this.scheduler.stats, inFlight: this.scheduler.inFlight, queued: this.scheduler.queued };
  }

  private emit(name: string, why: string): void {
    for (const l of this.listeners) l(name, why);
  }

  /** Rebuilds every member from the informers' caches (at start); clients are rebuilt only when their inputs changed. */
  private sync(): void {
    const names = new Set(this.members.keys());
    for (const kfc of this.clusters.list()) if (kfc.metadata.namespace === KUBEFED_NAMESPACE) names.add(kfc.metadata.name);
    for (const name of names) this.syncMember(name);
  }

  /** One member from its KubeFedCluster and Secret in the caches: registered, rebuilt, relabelled or removed. */
  private syncMember(name: string): void {
    const kfc = this.clusters.get(`${KUBEFED_NAMESPACE}/${name}`);
    this.trackSecret(name, kfc?.spec.secretRef.name);
    const prev = this.members.get(name);
    if (!kfc) {
      if (!prev) return;
      prev.client?.close();
      this.members.delete(name);
      this.scheduler.remove(name);
      this.lastWritten.delete(name);
      this.log.info('member unregistered', { cluster: name });
      this.emit(name, 'unregistered');
      return;
    }
    const secret = this.secrets.get(`${KUBEFED_NAMESPACE}/${kfc.spec.secretRef.name}`);
    const fingerprint = JSON.stringify([kfc.spec, secret?.metadata.resourceVersion, kfc.metadata.annotations ?? {}]);
    const labels = kfc.metadata.labels ?? {};
    if (prev && prev.fingerprint === fingerprint) {
      if (JSON.stringify(prev.labels) !== JSON.stringify(labels)) {
        prev.labels = labels;
        this.emit(name, 'labels changed');
      }
      return;
    }
    prev?.client?.close();
    const m: Member = {
      name, labels, annotations: kfc.metadata.annotations ?? {}, fingerprint, ready: prev?.ready ?? false, offline: prev?.offline ?? false,
      consecutiveFailures: 0, consecutiveSuccesses: 0,
    };
    try {
      m.client = buildClient(kfc, secret);
    } catch (e) {
      m.configError = (e as Error).message;
      m.ready = false;
    }
    this.members.set(name, m);
    this.log.info('member registered', { cluster: name, endpoint: kfc.spec.apiEndpoint, configError: m.configError });
    this.emit(name, prev ? 'registration changed' : 'registered');
    if (prev) this.scheduler.probeNow(name);
    else this.scheduler.add(name);
  }

  private trackSecret(member: string, secret: string | undefined): void {
    const before = this.secretOf.get(member);
    if (before === secret) return;
    if (before !== undefined) {
      const users = this.secretUsers.get(before);
      users?.delete(member);
      if (users && !users.size) this.secretUsers.delete(before);
    }
    if (secret === undefined) {
      this.secretOf.delete(member);
      return;
    }
    this.secretOf.set(member, secret);
    let users = this.secretUsers.get(secret);
    if (!users) this.secretUsers.set(secret, (users = new Set()));
    users.add(member);
  }

  /** Probes every member now, bypassing the schedule (tests, one-off checks). */
  async probeAll(): Promise<void> {
    await Promise.all(this.list().map((m) => this.probe(m)));
  }

  private async probeByName(name: string): Promise<void> {
    const m = this.members.get(name);
    if (m) await this.probe(m);
  }

  private async probe(m: Member): Promise<void> {
    let result: { ok: boolean; reachable: boolean; error?: string };
    if (!m.client) result = { ok: false, reachable: false, error: m.configError ?? 'no client' };
    else {
      try {
        const started = performance.now();
        const body = await m.client.requestText('GET', '/healthz', { timeoutMs: this.health.timeoutMs });
        const rttSeconds = (performance.now() - started) / 1000;
        result = body.trim() === 'ok' ? { ok: true, reachable: true } : { ok: false, reachable: true, error: `/healthz: ${body.slice(0, 200)}` };
        if (result.ok) for (const fn of this.rttListeners) fn(m.name, rttSeconds);
      } catch (e) {
        const err = e as Error & { statusCode?: number };
        result = { ok: false, reachable: err.statusCode !== undefined, error: err.message };
      }
    }
    if (this.members.get(m.name) !== m) return; // replaced meanwhile
    const before = { ready: m.ready, offline: m.offline };
    Object.assign(m, nextHealth(m, result, this.health));
    m.lastError = result.error;
    const changed = before.ready !== m.ready || before.offline !== m.offline;
    if (changed) {
      this.log.info(m.ready ? 'member ready' : 'member not ready', { cluster: m.name, offline: m.offline, error: m.lastError });
      this.emit(m.name, m.ready ? 'became ready' : m.offline ? 'went offline' : 'became unhealthy');
    }
    await this.writeStatus(m).catch((e: Error) => this.log.warn('could not write KubeFedCluster status', { cluster: m.name, error: e.message }));
  }

  /** What this process wrote last per member: covers the moment before the informer cache shows it. */
  private readonly lastWritten = new Map<string, { signature: string; at: number }>();

  /** KubeFed-shaped Ready/Offline conditions; written when they change, else when lastProbeTime is statusRefreshMs old. */
  private async writeStatus(m: Member): Promise<void> {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const kfc = this.clusters.get(`${KUBEFED_NAMESPACE}/${m.name}`);
    const prev = kfc?.status?.conditions ?? [];
    const cond = (type: string, status: 'True' | 'False', reason: string, message: string): ClusterCondition => {
      const old = prev.find((c) => c.type === type);
      return { type, status, reason, message, lastProbeTime: now, lastTransitionTime: old && old.status === status ? old.lastTransitionTime ?? now : now };
    };
    const conditions = [
      m.ready
        ? cond('Ready', 'True', 'ClusterReady', '/healthz responded with ok')
        : cond('Ready', 'False', m.configError ? 'ClusterConfigInvalid' : 'ClusterNotReachable', m.lastError ?? 'not probed yet'),
    ];
    if (m.offline) conditions.push(cond('Offline', 'True', 'ClusterNotReachable', m.lastError ?? 'no answer'));
    const signature = conditionsSignature(conditions);
    const write = shouldWriteStatus({
      desired: signature, cached: cachedStatus(prev), own: this.lastWritten.get(m.name), now: nowMs,
      refreshMs: this.health.statusRefreshMs ?? DEFAULT_HEALTH.statusRefreshMs!,
    });
    if (!write) {
      this.statusStats.skipped++;
      return;
    }
    this.statusStats.writes++;
    await this.host.apply(
      `${resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, m.name)}/status`,
      { apiVersion: KUBEFED_API_VERSION, kind: 'KubeFedCluster', metadata: { name: m.name, namespace: KUBEFED_NAMESPACE }, status: { conditions } },
      this.fieldManager,
    );
    this.lastWritten.set(m.name, { signature, at: nowMs });
  }
}

/** A member client from KubeFedCluster + Secret; throws a message that names what is wrong. */
export function buildClient(kfc: KubeFedCluster, secret: Secret | undefined): KubeClient {
  const where = `KubeFedCluster ${KUBEFED_NAMESPACE}/${kfc.metadata.name}`;
  if (!secret) throw new Error(`${where}: Secret ${KUBEFED_NAMESPACE}/${kfc.spec.secretRef.name} not found`);
  const tokenB64 = secret.data?.token;
  if (!tokenB64) throw new Error(`${where}: Secret ${secret.metadata.name} has no "token" key`);
  const token = Buffer.from(tokenB64, 'base64').toString('utf8').trim();
  const ca = kfc.spec.caBundle ? Buffer.from(kfc.spec.caBundle, 'base64').toString('utf8') : undefined;
  if (ca !== undefined && !ca.includes('BEGIN CERTIFICATE')) throw new Error(`${where}: spec.caBundle is not a PEM certificate bundle`);
  const insecure = (kfc.spec.disabledTLSValidations ?? []).includes('*');
  return KubeClient.fromToken(apiEndpointURL(kfc.spec.apiEndpoint), ca, token, insecure);
}
