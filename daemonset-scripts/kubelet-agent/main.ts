// The kubelet agent, run once per node in a privileged pod (hostPID,
// hostNetwork, the host's / mounted at --host-root): apply the desired kubelet
// settings to the running kubelet's config file, restart the kubelet, wait for
// it to be healthy, and roll back if it is not. Prints one JSON result line,
// also written to the pod's termination message for the controller.
//
//   node main.js apply  --node NAME --settings JSON [--restart auto|systemd|signal] [--host-root /host] [--timeout-seconds 120]
//   node main.js revert --node NAME [--restart ...] [--host-root /host] [--timeout-seconds 120]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { KubeletSettings } from '../../api/featureconfig.js';
import { applyToKubelet, nodeFiles, readSources, revertKubelet, rollbackKubelet } from './apply-config.js';
import { configFlag, readEffective } from './config-file.js';
import { parseAgentArgs } from './args.js';
import { sleep } from '../../kube-client/wait.js';

export interface AgentResult {
  result: 'applied' | 'unchanged' | 'reverted' | 'rolled-back' | 'error';
  node: string;
  changed?: string[];
  message: string;
  restartSeconds?: number;
}

interface KubeletProc {
  pid: number;
  argv: string[];
}

/** The kubelet process of this node (hostPID): the only one, or the one started for this node name. */
export function findKubelet(node: string, procRoot = '/proc'): KubeletProc {
  const all: KubeletProc[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(path.join(procRoot, entry, 'cmdline'), 'utf8').split('\0').filter(Boolean);
      if (argv[0] && path.basename(argv[0]) === 'kubelet') all.push({ pid: Number(entry), argv });
    } catch {
      /* exited meanwhile */
    }
  }
  if (all.length === 1) return all[0]!;
  const mine = all.filter((k) => k.argv.includes(`--hostname-override=${node}`) || configFlag(k.argv)?.includes(node));
  if (mine.length === 1) return mine[0]!;
  throw new Error(all.length ? `${all.length} kubelet processes and none (or several) of them for node ${node}` : 'no kubelet process found (is the pod hostPID?)');
}

function healthz(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    http.get(url, { timeout: 2000 }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && b.trim() === 'ok'));
    }).on('error', () => resolve(false)).on('timeout', function (this: http.ClientRequest) {
      this.destroy();
    });
  });
}


function restart(k: KubeletProc, method: string): void {
  const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  const how = method === 'auto' ? (pid1 === 'systemd' ? 'systemd' : '') : method;
  if (how === 'systemd') {
    execFileSync('nsenter', ['-t', '1', '-m', '-u', '-i', '-n', '-p', '--', 'systemctl', 'restart', 'kubelet'], { stdio: 'inherit' });
  } else if (how === 'signal') {
    process.kill(k.pid, 'SIGTERM'); // the node's supervisor starts it again
  } else {
    throw new Error(`PID 1 is ${pid1}, not systemd, and the node declares no restart method (annotation fedfeat.io/kubelet-restart: signal)`);
  }
}

/** A new kubelet process, answering healthz, three times in a row. */
async function waitHealthy(node: string, oldPid: number, url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let ok = 0;
  while (Date.now() < deadline) {
    let fresh = false;
    try {
      fresh = findKubelet(node).pid !== oldPid;
    } catch {
      fresh = false;
    }
    ok = fresh && (await healthz(url)) ? ok + 1 : 0;
    if (ok >= 3) return true;
    await sleep(1000);
  }
  return false;
}

export async function run(args: string[]): Promise<AgentResult> {
  const { mode: cmd, node, settings, restart: method, hostRoot, timeoutMs } = parseAgentArgs(args);
  const k = findKubelet(node);
  const files = nodeFiles(k.argv, hostRoot, existsSync);
  // The kubelet's own view: its file, its drop-ins, then its flags.
  const live = readEffective(readSources(files)) as { healthzBindAddress?: string; healthzPort?: number };
  const healthUrl = `http://${live.healthzBindAddress || '127.0.0.1'}:${live.healthzPort ?? 10248}/healthz`;

  let changed: string[];
  let written: string[] = [];
  if (cmd === 'apply') {
    const res = applyToKubelet(files, JSON.parse(settings) as KubeletSettings);
    changed = res.changed;
    written = res.written;
    if (!changed.length) return { result: 'unchanged', node, message: 'kubelet config already has the desired settings' };
  } else {
    if (!revertKubelet(files)) return { result: 'unchanged', node, message: 'no fedfeat backup on this node: nothing to revert' };
    changed = ['(backup restored)'];
  }
  const t0 = Date.now();
  restart(k, method);
  if (await waitHealthy(node, k.pid, healthUrl, timeoutMs)) {
    return { result: cmd === 'apply' ? 'applied' : 'reverted', node, changed, message: `kubelet healthy after restart (${changed.join(', ')}${written.length ? ` in ${written.join(', ')}` : ''})`, restartSeconds: (Date.now() - t0) / 1000 };
  }
  // The kubelet did not come back with the new config: put the old one back and restart again.
  rollbackKubelet(files);
  let stuckPid = -1;
  try {
    const stuck = findKubelet(node);
    stuckPid = stuck.pid;
    restart(stuck, method);
  } catch {
    // Not running right now (crash-looping under its supervisor): the next start reads the restored config.
  }
  const recovered = await waitHealthy(node, stuckPid, healthUrl, timeoutMs);
  return {
    result: 'rolled-back', node, changed,
    message: `kubelet not healthy within ${timeoutMs / 1000}s with ${changed.join(', ')}; previous config restored${recovered ? ' and the kubelet is healthy again' : ', but the kubelet is STILL NOT healthy'}`,
  };
}

if (process.argv[1] && path.basename(process.argv[1]) === 'main.js' && process.argv[1].includes('kubelet-agent')) {
  const report = (r: AgentResult) => {
    const line = JSON.stringify(r);
    process.stdout.write(`${line}\n`);
    try {
      if (existsSync('/dev/termination-log')) writeFileSync('/dev/termination-log', line);
    } catch {
      /* not in a pod */
    }
  };
  run(process.argv.slice(2)).then(
    (r) => {
      report(r);
      process.exit(r.result === 'rolled-back' ? 2 : 0);
    },
    (e: Error) => {
      report({ result: 'error', node: process.env.NODE_NAME ?? '', message: e.message });
      process.exit(1);
    },
  );
}
