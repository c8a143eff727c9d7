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
    return { member: m[1]!, host: m[2]!, port: Number(m[3]) };
  });
}

/** HOST:PORT */
export function parseListen(value: string | undefined, dflt: string): { host: string; port: number } {
  const v = value ?? dflt;
  const m = /^(.*):(\d+)$/.exec(v);
  if (!m) throw new UsageError(`--listen needs HOST:PORT (got "${v}")`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

function parseLabels(value: string | undefined): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries(value.split(',').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--labels needs KEY=VALUE items separated by commas (got "${kv}")`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

function readTls(dir: string): { ca: string; cert: string; key: string } {
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch (e) {
      throw new UsageError(`--tls-dir ${dir}: cannot read ${f}: ${(e as Error).message}`);
    }
  };
  return { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
}

export async function agentCommand(c: Command<'agent' | 'agent certificate' | 'agent revoke'>): Promise<number> {
  if (c.command === 'agent revoke') {
    const v = c.values;
    const member = c.args[0];
    if (!member || !v.as || !v['tls-dir'] || !v.peers) throw new UsageError('agent revoke needs MEMBER, --as, --tls-dir and --peers');
    const { revokeThroughPeers } = await import('../decentralized/revoke.js');
    const revoked = await revokeThroughPeers({ as: v.as, member, credentials: readTls(v['tls-dir']), peers: parsePeers(v.peers) });
    process.stdout.write(`${member} revoked; members removed from the fleet: ${revoked.join(', ')}\n`);
    return 0;
  }
  if (c.command === 'agent certificate') {
    const v = c.values;
    if (!v.member || !v['ca-dir'] || !v.out) throw new UsageError('agent certificate needs --member, --ca-dir and --out');
    const { createFleetCA, issueAgentCert } = await import('../decentralized/agent-cert.js');
    const caCert = join(v['ca-dir'], 'ca.crt');
    const caKey = join(v['ca-dir'], 'ca.key');
    if (!existsSync(caCert)) {
      mkdirSync(v['ca-dir'], { recursive: true });
      const ca = await createFleetCA(v.member);
      writeFileSync(caCert, ca.cert);
      writeFileSync(caKey, ca.key, { mode: 0o600 });
    }
    const list = (s: string | undefined) => (s ? s.split(',').filter(Boolean) : []);
    const creds = await issueAgentCert({ cert: readFileSync(caCert, 'utf8'), key: readFileSync(caKey, 'utf8') }, v.member, { ipAddresses: list(v['ip-addresses']), dnsNames: list(v['dns-names']) });
    mkdirSync(v.out, { recursive: true });
    writeFileSync(join(v.out, 'ca.crt'), creds.ca);
    writeFileSync(join(v.out, 'tls.crt'), creds.cert);
    writeFileSync(join(v.out, 'tls.key'), creds.key, { mode: 0o600 });
    process.stdout.write(`agent certificate for ${v.member} written to ${v.out}\n`);
    return 0;
  }
  const v = c.values;
  if (!v.member) throw new UsageError('agent needs --member NAME');
  if (!v['tls-dir']) throw new UsageError('agent needs --tls-dir DIR (ca.crt, tls.crt, tls.key)');
  const tactics = v.tactics ?? 'true';
  if (tactics !== 'true' && tactics !== 'false') throw new UsageError(`--tactics needs true or false (got "${tactics}")`);
  const { Agent } = await import('../decentralized/agent.js');
  const agent = new Agent({
    member: v.member,
    kubeconfig: v.kubeconfig,
    credentials: readTls(v['tls-dir']),
    listen: parseListen(v.listen, '0.0.0.0:7946'),
    advertise: v.advertise,
    seeds: parsePeers(v.peers),
    stateDir: v['state-dir'],
    labels: parseLabels(v.labels),
    resyncMs: wholeNumber(v['resync-seconds'], 'resync-seconds', 30) * 1000,
    tactics: tactics === 'true',
  });
  await agent.start();
  const stop = () => void agent.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return new Promise<number>(() => undefined); // runs until SIGTERM
}
