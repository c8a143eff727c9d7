// `fedfeat join MEMBER` and `fedfeat unjoin MEMBER`: register a member on the
// host with least privilege, or remove that registration. The member and the
// host are contexts of one kubeconfig; only the contexts named are touched.
import { existsSync, readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { FeatureName } from '../api/featureconfig.js';
import { join, unjoin } from '../join/join.js';
import { DEFAULT_JOIN_FEATURES, joinObjects, parseFeatures, type JoinSpec } from '../join/objects.js';
import { KubeClient } from '../kube-client/client.js';
import type { AccessLevel } from '../reconfigurators/rbac.js';
import { UsageError, type Command } from './args.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

interface Target {
  kc: KubeConfig;
  member: string;
  memberContext: string;
  hostContext: string;
}

function target(c: Command<'join'> | Command<'unjoin'>): Target {
  const member = c.args[0];
  if (!member) throw new UsageError(`${c.command} needs the member's name (its KubeFedCluster name on the host)`);
  if (!DNS_LABEL.test(member)) throw new UsageError(`member name "${member}" must be a DNS label (lower-case letters, digits, '-')`);
  if (!c.values.context) throw new UsageError(`${c.command} needs --context: the member's context in the kubeconfig`);
  const kc = new KubeConfig();
  if (c.values.kubeconfig) kc.loadFromFile(c.values.kubeconfig);
  else kc.loadFromDefault();
  const hostContext = c.values['host-context'] ?? kc.getCurrentContext();
  // Decentralized mode has no host: only the member's context matters.
  const checked = c.values.decentralized ? [['--context', c.values.context] as const] : [['--context', c.values.context], ['--host-context', hostContext]] as const;
  for (const [flag, ctx] of checked) {
    if (!ctx || !kc.getContextObject(ctx)) throw new UsageError(`${flag} ${ctx || '(none: the kubeconfig has no current context)'} is not a context of the kubeconfig`);
  }
  const server = (ctx: string) => kc.getCluster(kc.getContextObject(ctx)!.cluster)?.server;
  if (!c.values.decentralized && server(c.values.context) === server(hostContext)) {
    throw new UsageError(`--context ${c.values.context} and the host context ${hostContext} are the same API server (${server(hostContext)}): name the member's own context`);
  }
  return { kc, member, memberContext: c.values.context, hostContext };
}

/** Endpoint and CA of the member's context, as the host will reach it. */
function memberEndpoint(t: Target): { apiEndpoint: string; caPem?: string } {
  const cluster = t.kc.getCluster(t.kc.getContextObject(t.memberContext)!.cluster)!;
  const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile ? readFileSync(cluster.caFile, 'utf8') : undefined;
  return { apiEndpoint: cluster.server, caPem };
}

async function clientFor(kc: KubeConfig, context: string): Promise<KubeClient> {
  kc.setCurrentContext(context);
  return KubeClient.fromKubeConfig(kc);
}

/** join/unjoin --decentralized: the member's agent, no host (issue 16). */
async function decentralized(c: Command<'join'> | Command<'unjoin'>, t: Target, log: (line: string) => void): Promise<number> {
  const { fleetCA, list, parseLabels, parsePeers } = await import('./agent-command.js');
  const { issueAgentCert } = await import('../decentralized/agent-cert.js');
  const caDir = c.values['ca-dir'];
  if (!caDir) throw new UsageError(`${c.command} --decentralized needs --ca-dir DIR: the fleet CA (ca.crt, ca.key; join creates it for the first member)`);
  if (c.values['service-account'] !== undefined) throw new UsageError('--service-account is for host mode; the agent is always the ServiceAccount fedfeat-agent');
  const { joinAgent, joinedAgentConfig, unjoinAgent } = await import('../join/agent-join.js');
  if (c.command === 'join') {
    const v = c.values;
    const access = (v.access ?? 'inform') as AccessLevel;
    if (access !== 'inform' && access !== 'enforce') throw new UsageError(`--access must be inform or enforce (got "${v.access}")`);
    let features: FeatureName[];
    try {
      features = v.features !== undefined ? parseFeatures(v.features) : DEFAULT_JOIN_FEATURES;
    } catch (e) {
      throw new UsageError(`--features: ${(e as Error).message}`);
    }
    if (v['placement-namespaces'] !== undefined) throw new UsageError('--placement-namespaces is for host mode (FeaturePlacement runs on the host)');
    const peers = parsePeers(v.peers);
    if (peers.some((p) => p.member === t.member)) throw new UsageError(`--peers must name other members' agents, not ${t.member}`);
    // A dry run writes nothing, not even a new fleet CA (an in-memory one stands in when there is none yet).
    const { createFleetCA } = await import('../decentralized/agent-cert.js');
    const ca = v['dry-run'] && !existsSync(joinPath(caDir, 'ca.key')) ? await createFleetCA(t.member) : await fleetCA(caDir, t.member);
    const credentials = await issueAgentCert(ca, t.member, { ipAddresses: list(v['ip-addresses']), dnsNames: list(v['dns-names']) });
    const spec = {
      member: t.member, access, features, credentials, peers, labels: { name: t.member, ...parseLabels(v.labels) },
      annotations: parseLabels(v.annotations, '--annotations'),
      ...(v.advertise ? { advertise: v.advertise } : {}), ...(v['agent-image'] ? { image: v['agent-image'] } : {}), deploy: !v['no-deployment'],
    };
    if (v['dry-run']) {
      const { agentJoinObjects } = await import('../join/agent-objects.js');
      const { agentManifests } = await import('../join/agent-join.js');
      // The private key is not printed.
      const shown = agentJoinObjects({ ...spec, credentials: { ...credentials, key: '<issued at join>' } }, agentManifests()).objects;
      process.stdout.write(shown.map((o) => `---\n${stringify(o)}`).join(''));
      return 0;
    }
    const member = await clientFor(t.kc, t.memberContext);
    try {
      await joinAgent(member, spec, { log });
    } finally {
      member.close();
    }
    log(`${t.member} joined the fleet (decentralized): its agent certificate is issued by ${caDir}${peers.length ? '' : '; no --peers: a first member, the others name it as their peer'}`);
    return 0;
  }
  // unjoin: the fleet refuses the member's certificate first, then its agent's objects go.
  if (!existsSync(joinPath(caDir, 'ca.key'))) throw new UsageError(`--ca-dir ${caDir}: no fleet CA there (ca.crt, ca.key): unjoin signs the revocation with it`);
  const member = await clientFor(t.kc, t.memberContext);
  let complete = true;
  try {
    // Read before join's Deployment and ConfigMap go: the cleanup after the revocation needs them.
    const { agentBeforeUnjoin } = await import('../join/agent-cleanup.js');
    const before = await agentBeforeUnjoin(member);
    const config = await joinedAgentConfig(member);
    const peers = parsePeers(c.values.peers ?? config?.peers).filter((p) => p.member !== t.member);
    if (!peers.length) throw new UsageError(`unjoin --decentralized needs --peers (other members' agents): ${t.member}'s ConfigMap names none`);
    // The revocation is signed with the fleet CA's key and handed to the other agents with an operator certificate issued from it.
    const { revokeThroughPeers } = await import('../decentralized/revoke.js');
    const revoked = await revokeThroughPeers({ member: t.member, ca: await fleetCA(caDir, t.member), peers, reason: 'fedfeat unjoin', operator: 'fedfeat-unjoin' });
    log(`fleet: ${t.member} revoked (confirmed by a peer); members removed: ${revoked.join(', ')}`);
    await unjoinAgent(member, t.member, { log });
    complete = (await removeMaterialized(c as Command<'unjoin'>, member, t.member, before, log)) !== 'incomplete';
  } finally {
    member.close();
  }
  return complete ? 0 : 1;
}

/** After the revocation and join's objects: what the (now stopped) agent materialized on the member (join/agent-cleanup.ts). */
async function removeMaterialized(c: Command<'unjoin'>, member: KubeClient, name: string, before: import('../join/agent-cleanup.js').AgentBeforeUnjoin, log: (line: string) => void): Promise<import('../join/agent-cleanup.js').CleanupResult> {
  const { removeAgentObjects } = await import('../join/agent-cleanup.js');
  return removeAgentObjects(member, name, before, { log, agentStopped: c.values['agent-stopped'], removeCRDs: c.values['remove-crds'] });
}

/** `log` receives join's progress lines (default stdout; `fedfeat dev up --decentralized` runs join in its own process). */
export async function joinCommand(c: Command<'join'> | Command<'unjoin'>, log: (line: string) => void = (line) => void process.stdout.write(`${line}\n`)): Promise<number> {
  const t = target(c);
  if (c.values.decentralized) return decentralized(c, t, log);
  if (c.command === 'unjoin' && (c.values['agent-stopped'] || c.values['remove-crds'])) throw new UsageError('--agent-stopped and --remove-crds are for unjoin --decentralized');
  if (c.command === 'join' && c.values.annotations !== undefined) throw new UsageError('--annotations is for --decentralized (the agent\'s tactic settings); in host mode annotate the KubeFedCluster');
  const serviceAccount = c.values['service-account'];
  if (serviceAccount !== undefined && !DNS_LABEL.test(serviceAccount)) throw new UsageError(`--service-account "${serviceAccount}" must be a DNS label`);
  if (c.command === 'join') {
    const access = (c.values.access ?? 'inform') as AccessLevel;
    if (access !== 'inform' && access !== 'enforce') throw new UsageError(`--access must be inform or enforce (got "${c.values.access}")`);
    let features: FeatureName[];
    try {
      features = c.values.features !== undefined ? parseFeatures(c.values.features) : DEFAULT_JOIN_FEATURES;
    } catch (e) {
      throw new UsageError(`--features: ${(e as Error).message}`);
    }
    const placementNamespaces = (c.values['placement-namespaces'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const badNs = placementNamespaces.filter((n) => !DNS_LABEL.test(n));
    if (badNs.length) throw new UsageError(`--placement-namespaces: ${badNs.join(', ')} is not a namespace name (a DNS label)`);
    const spec: JoinSpec = {
      member: t.member, access, features, ...memberEndpoint(t), ...(serviceAccount ? { serviceAccount } : {}),
      ...(placementNamespaces.length ? { placementNamespaces } : {}),
    };
    if (c.values['dry-run']) {
      process.stdout.write(joinObjects(spec).map((o) => `---\n${stringify(o)}`).join(''));
      return 0;
    }
    const [member, host] = [await clientFor(t.kc, t.memberContext), await clientFor(t.kc, t.hostContext)];
    try {
      await join({ member, host }, spec, { log });
      log(`${t.member} joined with ${access} access for ${features.join(', ') || 'no features'}`);
    } finally {
      member.close();
      host.close();
    }
    return 0;
  }
  const [member, host] = [await clientFor(t.kc, t.memberContext), await clientFor(t.kc, t.hostContext)];
  try {
    await unjoin({ member, host }, t.member, { log, ...(serviceAccount ? { serviceAccount } : {}) });
  } finally {
    member.close();
    host.close();
  }
  return 0;
}
