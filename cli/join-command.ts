// `fedfeat join MEMBER` and `fedfeat unjoin MEMBER`: register a member on the
// host with least privilege, or remove that registration. The member and the
// host are contexts of one kubeconfig; only the contexts named are touched.
import { readFileSync } from 'node:fs';
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
  for (const [flag, ctx] of [['--context', c.values.context], ['--host-context', hostContext]] as const) {
    if (!ctx || !kc.getContextObject(ctx)) throw new UsageError(`${flag} ${ctx || '(none: the kubeconfig has no current context)'} is not a context of the kubeconfig`);
  }
  const server = (ctx: string) => kc.getCluster(kc.getContextObject(ctx)!.cluster)?.server;
  if (server(c.values.context) === server(hostContext)) {
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

export async function joinCommand(c: Command<'join'> | Command<'unjoin'>): Promise<number> {
  const t = target(c);
  const log = (line: string) => process.stdout.write(`${line}\n`);
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
