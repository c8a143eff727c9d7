// The fedfeat command line: which command, and that command's flags, parsed
// by node:util parseArgs. Each command declares its own flags, so an unknown
// one is refused naming the allowed ones. Values come as --key value or
// --key=value (split at the first '=' only); switches never take a value.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Wrong command line: main prints the message and a usage hint and exits 2. */
export class UsageError extends Error {}

/** A failure with its own exit code (main prints the message and exits with it). */
export class CommandFailed extends Error {
  constructor(message: string, readonly exitCode: number, options?: ErrorOptions) {
    super(message, options);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
const STR = { type: 'string' } as const;
const BOOL = { type: 'boolean' } as const;

/** eval on the user's clusters (and eval cleanup). */
const REMOTE = {
  kubeconfig: STR, context: STR, yes: BOOL, 'podpreset-webhook-url': STR, 'node-agent-image': STR, 'webhook-image': STR,
  'web-image': STR, 'pause-image': STR, node: STR, 'calico-manifest-url': STR, 'simulated-node-annotation': STR, features: STR,
} as const;

/** Every command (its words as typed) with its flags and how many words may follow it. */
export const COMMANDS = {
  controller: {
    args: 0,
    options: {
      kubeconfig: STR, listen: STR, 'leader-elect': STR, 'lease-namespace': STR, 'simulated-node-annotation': STR, 'resync-seconds': STR,
      workers: STR, identity: STR, 'health-period-seconds': STR, 'verify-timeout-seconds': STR, 'calico-manifest-url': STR, 'calico-image-registry': STR,
      'health-probe-concurrency': STR, 'health-status-refresh-seconds': STR, 'drift-watch-limit': STR,
    },
  },
  'webhook podpreset': { args: 0, options: { kubeconfig: STR, listen: STR, 'tls-dir': STR, 'tls-secret': STR } },
  eval: { args: 1, options: { out: STR, repeats: STR, members: STR, nodes: STR, ...REMOTE } }, // the experiment
  'eval cleanup': { args: 0, options: REMOTE },
  status: { args: 1, options: { kubeconfig: STR, watch: BOOL } }, // a FeatureConfig name
  join: {
    args: 1, // the member
    options: {
      kubeconfig: STR, context: STR, 'host-context': STR, access: STR, features: STR, 'placement-namespaces': STR, 'dry-run': BOOL, 'service-account': STR,
      decentralized: BOOL, 'ca-dir': STR, peers: STR, advertise: STR, labels: STR, 'agent-image': STR, 'ip-addresses': STR, 'dns-names': STR, 'no-deployment': BOOL, annotations: STR,
    },
  },
  unjoin: {
    args: 1, // the member
    options: { kubeconfig: STR, context: STR, 'host-context': STR, 'service-account': STR, decentralized: BOOL, 'ca-dir': STR, peers: STR, 'agent-stopped': BOOL, 'remove-crds': BOOL },
  },
  agent: {
    args: 0,
    options: {
      member: STR, kubeconfig: STR, 'tls-dir': STR, listen: STR, advertise: STR, peers: STR, 'state-dir': STR, labels: STR,
      'resync-seconds': STR, tactics: STR, 'config-dir': STR, annotations: STR, 'epoch-max-changes': STR, 'epoch-max-bytes': STR, 'epoch-grace-seconds': STR,
    },
  },
  'agent revoke': { args: 1, options: { 'ca-dir': STR, peers: STR } }, // the member removed
  'agent certificate': { args: 0, options: { member: STR, 'ca-dir': STR, out: STR, 'ip-addresses': STR, 'dns-names': STR } },
  'dev up': { args: 0, options: { members: STR, nodes: STR, 'node-size': STR, name: STR, 'real-node': STR, 'real-nodes': STR, 'host-node': STR, 'keep-on-failure': BOOL, decentralized: BOOL } },
  'dev down': { args: 0, options: { name: STR, purge: BOOL } },
  'dev status': { args: 0, options: { name: STR } },
  'dev demo': { args: 0, options: { name: STR } },
  'dev env': { args: 0, options: { name: STR } },
} as const satisfies Record<string, { args: number; options: Options }>;

export type CommandName = keyof typeof COMMANDS;
/** Parsed flag values: a string per value flag, true per switch given. */
export type Values<O> = { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string };
export type Command<C extends CommandName = CommandName> = {
  [N in C]: { command: N; /** the words after the command's own */ args: string[]; values: Values<(typeof COMMANDS)[N]['options']> };
}[C];

const HELP = { help: { type: 'boolean', short: 'h' } } as const;
/** Every flag of every command, to find the command words before knowing which command it is (types agree across commands). */
const ALL_OPTIONS: Options = Object.assign({}, HELP, ...Object.values(COMMANDS).map((c) => c.options));

export function parseCommandLine(argv: string[]): Command | { command: 'help' } {
  // First pass, lenient: only to find the command words, wherever the flags are.
  const first = parseArgs({ args: argv, options: ALL_OPTIONS, strict: false, allowPositionals: true });
  if (first.values.help === true || !first.positionals.length || first.positionals[0] === 'help') return { command: 'help' };
  const [command, words] = commandOf(first.positionals);
  const spec = COMMANDS[command];
  const options: Options = { ...spec.options, ...HELP };
  checkFlags(argv, options);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message); // checkFlags explains the usual mistakes; this is for the rest
  }
  const args = parsed.positionals.slice(command.split(' ').length);
  if (args.length > spec.args) throw new UsageError(`unexpected argument "${args[spec.args]}" for "fedfeat ${command}"`);
  const { help: _help, ...values } = parsed.values;
  // Strict parsing against spec.options guarantees these types; parseArgs' own result type is per call site, not per table entry.
  return { command, args, values } as Command;
}

function commandOf(positionals: string[]): [CommandName, string[]] {
  const [group, sub] = positionals;
  switch (group) {
    case 'controller':
    case 'status':
    case 'join':
    case 'unjoin':
      return [group, positionals.slice(1)];
    case 'agent':
      if (sub === 'certificate') return ['agent certificate', positionals.slice(2)];
      if (sub === 'revoke') return ['agent revoke', positionals.slice(2)];
      return ['agent', positionals.slice(1)];
    case 'webhook':
      if (sub !== 'podpreset') throw new UsageError('webhook needs a kind: podpreset');
      return ['webhook podpreset', positionals.slice(2)];
    case 'eval':
      return sub === 'cleanup' ? ['eval cleanup', positionals.slice(2)] : ['eval', positionals.slice(1)];
    case 'dev': {
      const name = `dev ${sub}`;
      if (name in COMMANDS) return [name as CommandName, positionals.slice(2)];
      throw new UsageError(sub ? `unknown dev command "${sub}"` : 'dev needs a command: up, down, status, demo or env');
    }
    default:
      throw new UsageError(`unknown command "${group}"`);
  }
}

/** The mistakes parseArgs would only describe generically, in fedfeat's words. */
function checkFlags(argv: string[], options: Options): void {
  const allowed = Object.keys(options).filter((k) => k !== 'help');
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const type = options[t.name]?.type;
    if (!type) throw new UsageError(`unknown flag ${t.rawName} (allowed: ${allowed.map((a) => `--${a}`).join(', ')})`);
    if (type === 'boolean' && t.value !== undefined) throw new UsageError(`${t.rawName} is a switch and takes no value (got "${t.value}")`);
    if (type === 'string' && (!t.value || (!t.inlineValue && t.value.startsWith('-')))) {
      throw new UsageError(`${t.rawName} needs a value${t.value ? ` (got the flag "${t.value}"; write ${t.rawName}=${t.value} if that is the value)` : ''}`);
    }
  }
}

/** A flag that takes a whole number. */
export function wholeNumber(value: string | undefined, flag: string, dflt: number): number {
  if (value === undefined) return dflt;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag} needs a whole number (got "${value}")`);
  return Number(value);
}

/** A flag that takes whole numbers (at least 1) separated by commas. */
export function wholeNumbers(value: string | undefined, flag: string, dflt: string): number[] {
  const v = value ?? dflt;
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`--${flag} needs whole numbers separated by commas (got "${v}")`);
  return xs;
}
