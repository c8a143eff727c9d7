// The kubelet agent's command line (written by the controller, see
// reconfigurators/kubelet-config/agent-pod.ts): apply|revert and its flags.
import { parseArgs } from 'node:util';

export interface AgentArgs {
  mode: 'apply' | 'revert';
  node: string;
  /** JSON of the KubeletSettings to apply (apply only). */
  settings: string;
  restart: 'auto' | 'systemd' | 'signal';
  hostRoot: string;
  timeoutMs: number;
}

const OPTIONS = {
  node: { type: 'string' },
  settings: { type: 'string' },
  restart: { type: 'string', default: 'auto' },
  'host-root': { type: 'string', default: '/host' },
  'timeout-seconds': { type: 'string', default: '120' },
} as const;

/** Throws (the agent reports it as its error result) on an unknown flag, a missing value or a bad one. */
export function parseAgentArgs(args: string[], env: NodeJS.ProcessEnv = process.env): AgentArgs {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  const [mode, ...extra] = positionals;
  if (mode !== 'apply' && mode !== 'revert') throw new Error(`unknown command "${mode ?? ''}" (apply or revert)`);
  if (extra.length) throw new Error(`unexpected argument "${extra[0]}"`);
  const node = values.node ?? env.NODE_NAME ?? '';
  if (!node) throw new Error('--node (or NODE_NAME) is required');
  if (values.restart !== 'auto' && values.restart !== 'systemd' && values.restart !== 'signal') throw new Error(`--restart must be auto, systemd or signal (got "${values.restart}")`);
  const seconds = Number(values['timeout-seconds']);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--timeout-seconds must be a positive number (got "${values['timeout-seconds']}")`);
  return { mode, node, settings: values.settings ?? '{}', restart: values.restart, hostRoot: values['host-root'], timeoutMs: seconds * 1000 };
}
