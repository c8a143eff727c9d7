// `fedfeat agent`: one per member, no host. It holds the fleet document
// (fleet-doc.ts), gossips it with the other members' agents (gossip.ts), and
// against its own member's API server only, with that member's credentials:
// - installs the FeatureConfig and ClusterFeatureStatus CRDs;
// - turns local FeatureConfig applies, edits and deletes into document changes;
// - materializes the merged document as FeatureConfig objects (server-side
//   apply, field manager fedfeat-agent, the spec it wrote kept in an
//   annotation so its own writes coming back through the watch are not
//   mistaken for local edits);
// - runs the tactics for its member (controller/reconcile-member.ts) and
//   writes the result into its own status section of the document;
// - when the fleet deletes a FeatureConfig, undoes its changes on this member
//   as its deletionPolicy says (member-revert.ts), then drops its report: the
//   report left in the document is the durable "not cleaned up yet" (a
//   restarted agent finishes the revert);
// - writes every member's status as ClusterFeatureStatus objects, so
//   `fedfeat status` on any member shows the whole fleet.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import * as A from '@automerge/automerge';
import { CFS_NAMESPACE, cfsName, cfsPath, renderClusterFeatureStatus } from '../api/cluster-feature-status.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type ClusterFeatureStatus, type FeatureConfig, type FeatureConfigSpec } from '../api/featureconfig.js';
import { matchesSelector } from '../api/label-selector.js';
import { DEFAULT_OPTIONS } from '../controller/controller.js';
import { sameStatus } from '../controller/status.js';
import { EventRecorder } from '../controller/events.js';
import { Informer } from '../controller/informer.js';
import { createLogger, type Logger } from '../controller/logger.js';
import type { Member } from '../controller/member-registry.js';
import { reconcileMember } from '../controller/reconcile-member.js';
import { KubeApiError, KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { defaultRegistry } from '../reconfigurators/registry.js';
import type { AgentCredentials } from './agent-cert.js';
import { loadFleetDoc, saveFleetDoc, compact } from './compaction.js';
import { applyLocalEdit, configViews, deleteConfig, dropStatus, liveConfigs, reports, writeStatus, type FleetDoc, type MemberReport } from './fleet-doc.js';
import { revertOnMember } from './member-revert.js';
import { GossipNode, type PeerAddress } from './gossip.js';
import { AgentCoordinates } from '../coordinates/agent-coordinates.js';
import type { PublishPolicy } from '../coordinates/publish-policy.js';
import { CoordinateSync } from './coordinate-sync.js';
import { fleetConfigStatus } from './fleet-status.js';
import type { EpochOptions } from './epochs.js';

export const AGENT_FIELD_MANAGER = 'fedfeat-agent';
/** The spec the agent last wrote: equal to the object's spec means "not edited here since". */
export const FLEET_SPEC_ANNOTATION = 'feature.kubefed.io/fleet-spec';
/**
 * Set by `fedfeat unjoin --decentralized` on the objects it removes from a leaving member: their delete is that
 * member's cleanup, never a fleet-wide delete (should an agent still be watching).
 */
export const MEMBER_LEAVING_ANNOTATION = 'feature.kubefed.io/member-leaving';
/** A failed revert is tried again after this long (the report stays in the document meanwhile). */
const REVERT_RETRY_MS = 15_000;

export interface AgentOptions {
  member: string;
  kubeconfig?: string;
  credentials: AgentCredentials;
  listen: { host: string; port: number };
  advertise?: string;
  seeds: PeerAddress[];
  /** Directory for the saved document; without it a restarted agent starts empty and catches up from peers. */
  stateDir?: string;
  /** This member's labels, for clusterSelector. */
  labels?: Record<string, string>;
  /** This member's tactic settings: what KubeFedCluster annotations say in host mode (e.g. fedfeat.io/podpreset-webhook-url). */
  annotations?: Record<string, string>;
  resyncMs?: number;
  verifyTimeoutMs?: number;
  /** Run the tactics (default true); off: replicate and report only. */
  tactics?: boolean;
  /** A lone agent stops waiting for a first peer exchange after this long. */
  firstSyncTimeoutMs?: number;
  allowPeer?: (member: string) => boolean;
  roundMs?: number;
  fanout?: number;
  log?: Logger;
  /** Namespace of the Events on (cluster-scoped) FeatureConfigs; default "default", as the host controller's. */
  eventNamespace?: string;
  /** Agent-to-agent ping period for network coordinates (default 2000 ms). */
  pingEveryMs?: number;
  /** How often coordinates are published and ClusterCoordinate objects rewritten (default: at most every 30 s each). */
  coordinatePublish?: PublishPolicy;
  /** History truncation thresholds (epochs.ts; defaults DEFAULT_EPOCH_OPTIONS) and how often they are checked (default 5000 ms). */
  epochs?: Partial<EpochOptions> & { checkEveryMs?: number };
}

/** `written` marker: the ClusterFeatureStatus of a member not selected was removed. */
const NOT_SELECTED = 'not selected';
const fcPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** The JSON merge patch turning `have` into `want` (null removes a field). Pure. */
export function mergePatchTo(have: unknown, want: unknown): unknown {
  if (!want || typeof want !== 'object' || Array.isArray(want) || !have || typeof have !== 'object' || Array.isArray(have)) return want;
  const out: Record<string, unknown> = {};
  const h = have as Record<string, unknown>;
  const w = want as Record<string, unknown>;
  for (const k of Object.keys(h)) if (!(k in w)) out[k] = null;
  for (const [k, v] of Object.entries(w)) if (!same(h[k], v)) out[k] = mergePatchTo(h[k], v);
  return out;
}

/** The CRDs the agent needs on its member, from manifests/crds (next to dist/ or to the sources). */
function crdManifests(): KubeObject[] {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const root of [join(here, '..'), join(here, '..', '..')]) {
    const dir = join(root, 'manifests', 'crds');
    const files = ['feature.kubefed.io_featureconfigs.yaml', 'feature.kubefed.io_clusterfeaturestatuses.yaml', 'feature.kubefed.io_clustercoordinates.yaml'].map((f) => join(dir, f));
    if (files.every((f) => existsSync(f))) return files.flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as KubeObject));
  }
  throw new Error('manifests/crds not found next to the agent');
}

export class Agent {
  readonly gossip: GossipNode;
  readonly coordinates = new AgentCoordinates();
  private readonly coordinateSync: CoordinateSync;
  private readonly log: Logger;
  private client!: KubeClient;
  private events?: EventRecorder;
  private informer!: Informer<FeatureConfig>;
  private readonly abort = new AbortController();
  /** Names this agent deleted itself (a fleet delete): their watch events are not local deletes. */
  private readonly expectDelete = new Set<string>();
  /** Names materialized here (saved): one missing at start-up was deleted while the agent was down. */
  private materialized = new Set<string>();
  private readonly written = new Map<string, string>();
  /** The fleet spec (canonical text) this member's API server refused, by FeatureConfig. */
  private readonly refused = new Map<string, string>();
  private readonly lastReconciled = new Map<string, { spec: string; generation: number; at: number }>();
  private readonly results = new Map<string, ClusterFeatureStatus>();
  /** Uids of the local FeatureConfig objects, for the Events of a revert after the object is gone. */
  private readonly uids = new Map<string, string>();
  private readonly revertTried = new Map<string, number>();
  private loadedState = false;
  private dirty = false;
  private running?: Promise<void>;
  private tacticsBusy = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  /** Size of the last saved document: an epoch is proposed past epochs.maxBytes. */
  private savedBytes = 0;

  constructor(private readonly o: AgentOptions) {
    this.log = (o.log ?? createLogger()).child({ component: 'fedfeat-agent', cluster: o.member });
    let doc: A.Doc<FleetDoc> | undefined;
    const file = o.stateDir && join(o.stateDir, 'fleet.automerge');
    if (file && existsSync(file)) {
      const bytes = readFileSync(file);
      doc = loadFleetDoc(new Uint8Array(bytes)); // its epoch is inside it (epochs.ts, key en)
      this.savedBytes = bytes.length;
      const names = join(o.stateDir!, 'materialized.json');
      if (existsSync(names)) this.materialized = new Set(JSON.parse(readFileSync(names, 'utf8')) as string[]);
      this.loadedState = true;
    }
    this.gossip = new GossipNode({
      member: o.member, credentials: o.credentials, listen: o.listen, advertise: o.advertise, seeds: o.seeds,
      allowPeer: o.allowPeer, roundMs: o.roundMs, fanout: o.fanout, log: this.log, ...(doc ? { doc } : {}),
      // Listening on one address of a multi-homed host: links leave from it too, so peers and firewalls see one address.
      ...(isIP(o.listen.host) && !['0.0.0.0', '::'].includes(o.listen.host) ? { localAddress: o.listen.host } : {}),
      coordinates: this.coordinates, pingEveryMs: o.pingEveryMs,
      epochs: { ...o.epochs, savedBytes: () => this.savedBytes, persist: () => this.save() },
    });
    this.coordinateSync = new CoordinateSync({
      member: o.member, signer: this.gossip.signer, coordinates: this.coordinates, doc: () => this.gossip.doc, update: (fn) => this.gossip.update(fn),
      samples: () => this.gossip.stats.rttSamples, client: () => this.client, fieldManager: AGENT_FIELD_MANAGER,
      policy: o.coordinatePublish, log: this.log,
    });
  }

  async start(): Promise<void> {
    const kc = new KubeConfig();
    if (this.o.kubeconfig) kc.loadFromFile(this.o.kubeconfig);
    else kc.loadFromDefault(); // in-cluster service account when run as a Deployment in the member
    this.client = await KubeClient.fromKubeConfig(kc);
    // The tactics' Events go to this member's API server (kubectl describe fc here), rate-limited as the host's.
    this.events = new EventRecorder(this.client, this.log, { namespace: this.o.eventNamespace ?? 'default', component: AGENT_FIELD_MANAGER, burst: 25, refillPerMinute: 12 });
    await this.installCRDs();
    await this.gossip.start();
    if (!this.loadedState) await this.firstSync();
    this.informer = new Informer<FeatureConfig>(this.client, fcPath(), this.log.child({ informer: 'featureconfigs' }));
    this.informer.addHandlers({
      onAdd: (fc) => this.localChange(fc),
      onUpdate: (_old, fc) => this.localChange(fc),
      onDelete: (fc) => this.localDelete(fc),
    });
    this.informer.start();
    await this.informer.waitForSync();
    // Deleted here while the agent was down: the object it had materialized is gone.
    for (const name of this.materialized) {
      if (!this.informer.get(name) && liveConfigs(this.gossip.doc).has(name)) this.gossip.update((d) => deleteConfig(d, this.o.member, name));
    }
    this.gossip.on('change', () => this.schedule());
    this.schedule();
    const every = (ms: number, f: () => void) => this.timers.push(setInterval(f, ms));
    every(Math.min(this.o.resyncMs ?? 30_000, 5_000), () => this.schedule());
    every(2_000, () => this.save());
    every(3600_000, () => this.gossip.update((d) => compact(d, new Date())));
    let syncing = false;
    every(Math.min(this.o.pingEveryMs ?? 2000, 2000), () => {
      if (syncing || this.stopped) return;
      syncing = true;
      void this.coordinateSync.tick().finally(() => (syncing = false));
    });
    this.log.info('agent started', { port: this.gossip.port, peers: this.o.seeds.map((s) => s.member) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.abort.abort();
    await this.informer?.stop();
    await this.gossip.stop();
    await this.running;
    this.events?.stop();
    this.save();
    this.client?.close();
  }

  /** Waits until a peer has answered (or, for a lone first member, the timeout). */
  private async firstSync(): Promise<void> {
    const end = Date.now() + (this.o.firstSyncTimeoutMs ?? 10_000);
    while (this.gossip.stats.messagesReceived < 2 && Date.now() < end && !this.stopped) await new Promise((r) => setTimeout(r, 50));
    // Let the exchange finish: the sync protocol needs a round trip or two after the first message.
    await new Promise((r) => setTimeout(r, 200));
  }

  private async installCRDs(): Promise<void> {
    for (const crd of crdManifests()) {
      const path = resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, crd.metadata.name);
      if (crd.metadata.name !== 'clustercoordinates.feature.kubefed.io') {
        await this.client.apply(path, crd, AGENT_FIELD_MANAGER);
        continue;
      }
      // Coordinates are optional: an agent whose role predates them still replicates and reports.
      await this.client.apply(path, crd, AGENT_FIELD_MANAGER).catch((e: Error) => this.coordinateSync.disableObjects(`cannot install the ClusterCoordinate CRD: ${e.message}`));
    }
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CFS_NAMESPACE } };
    await this.client.apply(resourcePath('v1', 'namespaces', undefined, CFS_NAMESPACE), ns, AGENT_FIELD_MANAGER);
    // The CRD is usable once Established; the informer's list retries until then anyway.
  }

  private localChange(fc: FeatureConfig): void {
    if (fc.metadata.deletionTimestamp) return;
    const name = fc.metadata.name;
    const ann = fc.metadata.annotations?.[FLEET_SPEC_ANNOTATION];
    let base: FeatureConfigSpec | undefined;
    try {
      base = ann ? (JSON.parse(ann) as FeatureConfigSpec) : undefined;
    } catch {
      base = undefined;
    }
    if (base && same(base, fc.spec)) return; // our own write, or nothing edited since
    this.log.info('local FeatureConfig change', { featureconfig: name });
    try {
      this.gossip.update((d) => applyLocalEdit(d, this.o.member, name, base, fc.spec ?? {}));
    } catch (e) {
      this.log.warn('local FeatureConfig not taken into the fleet document', { featureconfig: name, error: (e as Error).message });
    }
    this.schedule();
  }

  private localDelete(fc: FeatureConfig): void {
    const name = fc.metadata.name;
    if (fc.metadata.uid) this.uids.set(name, fc.metadata.uid);
    if (this.expectDelete.delete(name)) return;
    if (fc.metadata.annotations?.[MEMBER_LEAVING_ANNOTATION] !== undefined) {
      this.log.warn('FeatureConfig removed by unjoin from this (leaving) member: not a fleet delete', { featureconfig: name });
      this.materialized.delete(name);
      return;
    }
    this.log.info('local FeatureConfig delete', { featureconfig: name });
    this.gossip.update((d) => deleteConfig(d, this.o.member, name));
    this.materialized.delete(name);
  }

  /** Coalesces work: at most one materialization runs, and one more follows if anything changed meanwhile. */
  private schedule(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.running ??= (async () => {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        try {
          await this.materialize();
        } catch (e) {
          this.log.warn('materialize failed; retrying', { error: (e as Error).message });
          await new Promise((r) => setTimeout(r, 1000));
          this.dirty = true;
        }
      }
      this.running = undefined;
    })();
  }

  private async materialize(): Promise<void> {
    const live = liveConfigs(this.gossip.doc);
    for (const [name, view] of live) {
      const have = this.informer.get(name);
      const text = JSON.stringify(canonical(view.spec));
      if (have && same(have.spec, view.spec) && have.metadata.annotations?.[FLEET_SPEC_ANNOTATION] === text) {
        this.materialized.add(name);
        continue;
      }
      if (this.refused.get(name) === text) continue; // said already; tried again when the fleet's spec changes
      const obj: FeatureConfig = {
        apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig',
        metadata: { name, annotations: { [FLEET_SPEC_ANNOTATION]: text } }, spec: view.spec,
      };
      try {
        let out = await this.client.apply<FeatureConfig>(fcPath(name), obj, AGENT_FIELD_MANAGER);
        // Fields another manager (kubectl) owns survive an apply that omits them; the fleet's spec is the whole truth.
        if (!same(out.spec, view.spec)) {
          out = await this.client.mergePatch<FeatureConfig>(fcPath(name), { spec: mergePatchTo(out.spec, view.spec) }, { query: { fieldManager: AGENT_FIELD_MANAGER } });
        }
      } catch (e) {
        // This member's API server refuses the fleet's spec (its CRD validates differently, e.g. an older fedfeat):
        // said once per spec, and the other FeatureConfigs still materialize. Anything else is retried whole.
        if (!(e instanceof KubeApiError) || (e.statusCode !== 422 && e.statusCode !== 400)) throw e;
        this.refused.set(name, text);
        this.log.warn('FeatureConfig from the fleet refused by this member\'s API server; not materialized here until the fleet changes it', { featureconfig: name, generation: view.generation, error: e.message });
        continue;
      }
      this.refused.delete(name);
      this.materialized.add(name);
      this.log.info('materialized FeatureConfig', { featureconfig: name, generation: view.generation });
    }
    for (const fc of this.informer.list()) {
      const name = fc.metadata.name;
      if (live.has(name) || !fc.metadata.annotations?.[FLEET_SPEC_ANNOTATION] || fc.metadata.deletionTimestamp) continue;
      if (fc.metadata.uid) this.uids.set(name, fc.metadata.uid);
      this.expectDelete.add(name);
      try {
        await this.client.delete(fcPath(name));
      } catch (e) {
        this.expectDelete.delete(name);
        throw e;
      }
      this.materialized.delete(name);
      // Its report stays until runTactics has reverted (or retained) its changes here.
      this.log.info('deleted FeatureConfig deleted by the fleet', { featureconfig: name });
    }
    await this.writeFleetStatus();
    if (this.o.tactics !== false) this.runTactics();
  }

  /**
   * Every member's reports as ClusterFeatureStatus objects owned by the local
   * FeatureConfig, and the FeatureConfig's own status (fleet-status.ts): the
   * fleet's members the clusterSelector selects (a member not selected reports
   * so), how many reported for the current fleet generation, which have not.
   */
  private async writeFleetStatus(): Promise<void> {
    const live = liveConfigs(this.gossip.doc);
    const all = reports(this.gossip.doc);
    for (const [name, view] of live) {
      const fc = this.informer.get(name);
      if (!fc) continue;
      const status = fleetConfigStatus(this.gossip.doc, name, view.generation, fc.metadata.generation ?? 0, fc.status, new Date().toISOString(), this.o.member);
      if (sameStatus(fc.status, status)) continue;
      await this.client.apply(`${fcPath(name)}/status`, { apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name }, status } as KubeObject, AGENT_FIELD_MANAGER);
    }
    for (const r of all) {
      const fc = this.informer.get(r.featureconfig);
      if (!fc?.metadata.uid || !live.has(r.featureconfig)) continue;
      const key = `${r.featureconfig}/${r.member}`;
      if (r.selected === false) {
        // Not selected (any more): no ClusterFeatureStatus for it here, also not one written while it was.
        if (this.written.get(key) !== NOT_SELECTED) {
          await this.client.delete(cfsPath(cfsName(r.featureconfig, r.member)));
          this.written.set(key, NOT_SELECTED);
        }
        continue;
      }
      const result: ClusterFeatureStatus = { name: r.member, ...(r.reachable !== undefined ? { reachable: r.reachable } : {}), features: r.features as ClusterFeatureStatus['features'] };
      const obj = renderClusterFeatureStatus(fc, result);
      const text = JSON.stringify([fc.metadata.uid, obj.features, obj.reachable]);
      if (this.written.get(key) === text) continue;
      await this.client.apply(cfsPath(obj.metadata.name), obj, AGENT_FIELD_MANAGER);
      this.written.set(key, text);
    }
  }

  /** Reconciles this member for FeatureConfigs whose spec changed or whose resync is due, one at a time. */
  private runTactics(): void {
    if (this.tacticsBusy) return;
    this.tacticsBusy = true;
    void (async () => {
      try {
        await this.revertDeleted();
        const resync = this.o.resyncMs ?? 30_000;
        for (const [name, view] of liveConfigs(this.gossip.doc)) {
          if (this.stopped) return;
          const spec = JSON.stringify(canonical(view.spec));
          const last = this.lastReconciled.get(name);
          // The generation too: every member reports for each fleet generation (fleet-status.ts), also when a change left the spec as it was.
          if (last && last.spec === spec && last.generation === view.generation && Date.now() - last.at < resync) continue;
          const fc = this.informer.get(name);
          if (!fc) continue; // materialized next round
          await this.reconcile(fc, view.generation);
          this.lastReconciled.set(name, { spec, generation: view.generation, at: Date.now() });
        }
      } catch (e) {
        this.log.warn('tactics failed', { error: (e as Error).message });
      } finally {
        this.tacticsBusy = false;
      }
    })();
  }

  /** The agent's certificate signs what it writes for its member (its reports). */
  private get signer() {
    if (!this.gossip.signer) throw new Error(`the agent of ${this.o.member} needs an agent certificate (O=fedfeat:agents) to sign its reports`);
    return this.gossip.signer;
  }

  /**
   * FeatureConfigs the fleet deleted that this member still reports: their changes here are reverted (or
   * retained) as their deletionPolicy says, then the report goes. Serialized with the reconciles (one
   * runTactics at a time), so a reconcile never re-installs what a revert just removed.
   */
  private async revertDeleted(): Promise<void> {
    const views = configViews(this.gossip.doc);
    const live = [...views.values()].filter((v) => v.live).map((v) => this.asObject(v.name, v.spec, v.name));
    for (const r of reports(this.gossip.doc)) {
      const name = r.featureconfig;
      const view = views.get(name);
      if (r.member !== this.o.member || view?.live || this.stopped) continue;
      if (Date.now() - (this.revertTried.get(name) ?? 0) < REVERT_RETRY_MS) continue;
      this.revertTried.set(name, Date.now());
      // Compacted already (deleted > 24 h ago while this agent was away): the spec is gone, nothing to revert by.
      const problems = view ? await revertOnMember({
        member: this.o.member, client: this.client, labels: this.o.labels ?? {}, annotations: this.o.annotations ?? {}, registry: defaultRegistry(), log: this.log,
        signal: this.abort.signal, options: DEFAULT_OPTIONS.probe,
        event: (fc, type, reason, message, feature) => this.events!.record(fc, { type, reason, message, cluster: this.o.member, ...(feature ? { feature } : {}) }),
      }, this.asObject(name, view.spec, this.uids.get(name)), live) : [];
      if (problems.length) {
        this.log.warn('revert incomplete; retrying', { featureconfig: name, problems });
        continue;
      }
      this.results.delete(name);
      this.lastReconciled.delete(name);
      this.revertTried.delete(name);
      this.gossip.update((d) => dropStatus(d, this.o.member, name));
    }
  }

  private asObject(name: string, spec: FeatureConfigSpec, uid?: string): FeatureConfig {
    return { apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name, ...(uid ? { uid } : {}) }, spec };
  }

  private async reconcile(fc: FeatureConfig, generation: number): Promise<void> {
    const name = fc.metadata.name;
    const labels = this.o.labels ?? {};
    if (!matchesSelector(fc.spec.clusterSelector, labels)) {
      // Said, not just dropped: the others count the fleet's members and must not wait for this one (fleet-status.ts).
      this.results.delete(name);
      this.gossip.update((d) => writeStatus(d, { member: this.o.member, featureconfig: name, generation, selected: false, features: [], updated: new Date().toISOString() }, this.signer));
      return;
    }
    const member: Member = {
      name: this.o.member, labels, annotations: this.o.annotations ?? {}, client: this.client, ready: true, offline: false,
      consecutiveFailures: 0, consecutiveSuccesses: 1, fingerprint: '',
    };
    const report = (r: ClusterFeatureStatus): MemberReport => ({
      member: this.o.member, featureconfig: name, generation, ...(r.reachable !== undefined ? { reachable: r.reachable } : {}),
      features: r.features, updated: new Date().toISOString(),
    });
    const result = await reconcileMember(fc, member, this.results.get(name), {
      registry: defaultRegistry(),
      log: this.log,
      probeOptions: DEFAULT_OPTIONS.probe,
      verifyTimeoutMs: this.o.verifyTimeoutMs ?? DEFAULT_OPTIONS.verifyTimeoutMs,
      // Informer objects may lack apiVersion/kind; the Event's involvedObject needs them.
      event: (f, e) => this.events!.record({ ...f, apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig' }, e),
      // The rollout gate sees the other members through their reports in the document.
      rolloutView: (_fc, feature) => reports(this.gossip.doc).filter((r) => r.featureconfig === name && r.selected !== false).map((r) => {
        const f = r.features.find((x) => x.name === feature);
        return { name: r.member, labels: r.member === this.o.member ? labels : {}, supported: f?.state === 'Supported', reconfiguring: f?.state === 'Reconfiguring', failed: f?.state === 'Failed' };
      }),
      publish: (_fc, r) => this.gossip.update((d) => writeStatus(d, report(r), this.signer)),
      recentChanges: () => [],
      signal: this.abort.signal,
      now: () => new Date(),
    });
    this.results.set(name, result);
    this.gossip.update((d) => writeStatus(d, report(result), this.signer));
  }

  private save(): void {
    if (!this.o.stateDir || this.gossip.isAdopting()) return; // an adopted epoch is saved once its history has arrived
    mkdirSync(this.o.stateDir, { recursive: true });
    const file = join(this.o.stateDir, 'fleet.automerge');
    const bytes = saveFleetDoc(this.gossip.doc);
    this.savedBytes = bytes.length;
    writeFileSync(`${file}.tmp`, bytes);
    renameSync(`${file}.tmp`, file); // never a torn document
    writeFileSync(join(this.o.stateDir, 'materialized.json'), JSON.stringify([...this.materialized]));
  }
}

