// `fedfeat agent` and `fedfeat agent certificate` (decentralized mode, issue 16).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, wholeNumber, type Command } from './args.js';

/** NAME=HOST:PORT,... */
export function parsePeers(value: string | undefined): { member: string; host: string; port: number }[] {
  if (!value) return [];
  return value.split(',').filter(Boolean).map((item) => {
    const m = /^([a-z0-9-]+)=(.+):(\d+)$/.exec(item.trim());
    if (!m) throw new UsageError(`--peers needs NAME=HOST:PORT items separated by commas (got "${item}")`);
    return { member: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) }; // [IPv6]:port
  });
}

/** HOST:PORT */
export function parseListen(value: string | undefined, dflt: string): { host: string; port: number } {
  const v = value ?? dflt;
  const m = /^(.*):(\d+)$/.exec(v);
  if (!m) throw new UsageError(`--listen needs HOST:PORT (got "${v}")`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

export function parseLabels(value: string | undefined, flag = '--labels'): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries(value.split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} needs KEY=VALUE items separated by commas (got "${kv}")`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

export function readTls(dir: string): { ca: string; cert: string; key: string } {
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch (e) {
      throw new UsageError(`--tls-dir ${dir}: cannot read ${f}: ${(e as Error).message}`);
    }
  };
  return { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}

export const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

/** The fleet CA in DIR (ca.crt, ca.key), created the first time (named after the member that creates it). */
export async function fleetCA(dir: string, firstMember: string): Promise<{ cert: string; key: string }> {
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  if (!existsSync(caCert)) {
    const { createFleetCA } = await import('../decentralized/agent-cert.js');
    mkdirSync(dir, { recursive: true });
    const ca = await createFleetCA(firstMember);
    writeFileSync(caCert, ca.cert);
    writeFileSync(caKey, ca.key, { mode: 0o600 });
  }
  try {
    return { cert: readFileSync(caCert, 'utf8'), key: readFileSync(caKey, 'utf8') };
  } catch (e) {
    throw new UsageError(`--ca-dir ${dir}: cannot read the fleet CA: ${(e as Error).message}`);
  }
}

/**
 * The agent's settings from a mounted ConfigMap (`fedfeat join --decentralized` writes it): one file per key,
 * member, peers, advertise, labels, annotations. A flag given on the command line wins over the file.
 */
export function readAgentConfig(dir: string | undefined): { member?: string; peers?: string; advertise?: string; labels?: string; annotations?: string } {
  if (!dir) return {};
  const read = (f: string) => {
    const p = join(dir, f);
    const v = existsSync(p) ? readFileSync(p, 'utf8').trim() : '';
    return v || undefined;
  };
  if (!existsSync(dir)) throw new UsageError(`--config-dir ${dir} does not exist`);
  return { member: read('member'), peers: read('peers'), advertise: read('advertise'), labels: read('labels'), annotations: read('annotations') };
}

/** The address peers dial: the configured one, else the pod's IP (downward API) with the listen port, else the listen address. */
export function advertiseAddress(configured: string | undefined, listen: { host: string; port: number }, podIP = process.env.POD_IP): string | undefined {
  if (configured) return configured;
  if (podIP) return `${podIP.includes(':') ? `[${podIP}]` : podIP}:${listen.port}`;
  return undefined;
}

export async function agentCommand(c: Command<'agent' | 'agent certificate' | 'agent revoke'>): Promise<number> {
  if (c.command === 'agent revoke') {
    const v = c.values;
    const member = c.args[0];
    if (!member || !v['ca-dir'] || !v.peers) throw new UsageError('agent revoke needs MEMBER, --ca-dir (the fleet CA: the revocation is signed with its key) and --peers (other members\' agents)');
    if (!existsSync(join(v['ca-dir'], 'ca.key'))) throw new UsageError(`--ca-dir ${v['ca-dir']}: no fleet CA there (ca.crt, ca.key)`);
    const { revokeThroughPeers } = await import('../decentralized/revoke.js');
    const revoked = await revokeThroughPeers({ member, ca: await fleetCA(v['ca-dir'], member), peers: parsePeers(v.peers) });
    process.stdout.write(`${member} revoked; members removed from the fleet: ${revoked.join(', ')}\n`);
    return 0;
  }
  if (c.command === 'agent certificate') {
    const v = c.values;
    if (!v.member || !v['ca-dir'] || !v.out) throw new UsageError('agent certificate needs --member, --ca-dir and --out');
    const { issueAgentCert } = await import('../decentralized/agent-cert.js');
    const creds = await issueAgentCert(await fleetCA(v['ca-dir'], v.member), v.member, { ipAddresses: list(v['ip-addresses']), dnsNames: list(v['dns-names']) });
    mkdirSync(v.out, { recursive: true });
    writeFileSync(join(v.out, 'ca.crt'), creds.ca);
    writeFileSync(join(v.out, 'tls.crt'), creds.cert);
    writeFileSync(join(v.out, 'tls.key'), creds.key, { mode: 0o600 });
    process.stdout.write(`agent certificate for ${v.member} written to ${v.out}\n`);
    return 0;
  }
  const fromFile = readAgentConfig(c.values['config-dir']);
  const v = { ...c.values, member: c.values.member ?? fromFile.member, peers: c.values.peers ?? fromFile.peers, advertise: c.values.advertise ?? fromFile.advertise, labels: c.values.labels ?? fromFile.labels, annotations: c.values.annotations ?? fromFile.annotations };
  if (!v.member) throw new UsageError('agent needs --member NAME (or a member file in --config-dir)');
  if (!v['tls-dir']) throw new UsageError('agent needs --tls-dir DIR (ca.crt, tls.crt, tls.key)');
  const tactics = v.tactics ?? 'true';
  if (tactics !== 'true' && tactics !== 'false') throw new UsageError(`--tactics needs true or false (got "${tactics}")`);
  const { Agent } = await import('../decentralized/agent.js');
  const { DEFAULT_EPOCH_OPTIONS } = await import('../decentralized/epochs.js');
  const listen = parseListen(v.listen, '0.0.0.0:7946');
  const agent = new Agent({
    member: v.member,
    kubeconfig: v.kubeconfig,
    credentials: readTls(v['tls-dir']),
    listen,
    advertise: advertiseAddress(v.advertise, listen),
    seeds: parsePeers(v.peers),
    stateDir: v['state-dir'],
    labels: parseLabels(v.labels),
    annotations: parseLabels(v.annotations, '--annotations'),
    resyncMs: wholeNumber(v['resync-seconds'], 'resync-seconds', 30) * 1000,
    tactics: tactics === 'true',
    epochs: {
      maxChanges: wholeNumber(v['epoch-max-changes'], 'epoch-max-changes', DEFAULT_EPOCH_OPTIONS.maxChanges),
      maxBytes: wholeNumber(v['epoch-max-bytes'], 'epoch-max-bytes', DEFAULT_EPOCH_OPTIONS.maxBytes),
      graceMs: wholeNumber(v['epoch-grace-seconds'], 'epoch-grace-seconds', DEFAULT_EPOCH_OPTIONS.graceMs / 1000) * 1000,
    },
  });
  await agent.start();
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return new Promise<number>(() => undefined); // runs until SIGTERM
}
