// Command-line flags: --key value, --key=value (split at the first '=' only), and switches that never take a value.
export interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

/** Flags that never take a value: `--yes all` is the switch and then the experiment. */
const SWITCHES = new Set(['yes', 'purge', 'keep-on-failure', 'watch']);

export function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    // Split at the first '=' only: values such as KEY=VALUE or URLs keep theirs.
    const eq = a.indexOf('=');
    const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    if (inline !== undefined) flags.set(key, inline);
    else if (!SWITCHES.has(key) && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags.set(key, argv[++i]!);
    else flags.set(key, true);
  }
  return { positional, flags };
}

