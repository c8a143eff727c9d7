import { COMMANDS, parseCommandLine, UsageError, type Command, type CommandName } from '../../../cli/args.js';
import { remoteOptions } from '../../../cli/eval-command.js';
import { controllerOptions, webhookOptions } from '../../../cli/server-options.js';

/** Parses argv expecting the given command. */
function parse<C extends CommandName>(command: C, argv: string[]): Command<C> {
  const c = parseCommandLine(argv);
  expect(c.command).toBe(command);
  return c as Command<C>;
}

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('command-line flags', () => {
  it('takes a value after the flag or after the first "=", keeping later "=" in the value', () => {
    const c = parse('eval', ['eval', 'all', '--simulated-node-annotation=kwok.x-k8s.io/node=fake', '--podpreset-webhook-url', 'a=https://h:1/x?y=z', '--repeats', '2']);
    expect(c.args).toEqual(['all']);
    expect(c.values).toEqual({ 'simulated-node-annotation': 'kwok.x-k8s.io/node=fake', 'podpreset-webhook-url': 'a=https://h:1/x?y=z', repeats: '2' });
  });

  it('never lets a switch swallow the next word', () => {
    const e = parse('eval', ['eval', '--yes', 'all']);
    expect(e.values.yes).toBe(true);
    expect(e.args).toEqual(['all']);
    expect(parse('dev down', ['dev', '--purge', 'down']).values).toEqual({ purge: true });
    expect(parse('status', ['status', '--watch', 'listing-1']).args).toEqual(['listing-1']);
  });

  it('finds the command words wherever the flags are', () => {
    expect(parse('dev up', ['--members', '2', 'dev', 'up', '--keep-on-failure']).values).toEqual({ members: '2', 'keep-on-failure': true });
    expect(parse('dev up', ['dev', 'up', '--node-size', 'member-1=4/16Gi,*=2/4Gi']).values).toEqual({ 'node-size': 'member-1=4/16Gi,*=2/4Gi' });
    expect(parse('eval cleanup', ['eval', '--kubeconfig', 'k', 'cleanup', '--context', 'a']).values).toEqual({ kubeconfig: 'k', context: 'a' });
    expect(parse('webhook podpreset', ['webhook', 'podpreset', '--tls-dir=/tls']).values).toEqual({ 'tls-dir': '/tls' });
  });

  it('refuses a flag the command does not have, naming the ones it has', () => {
    expect(usageError(['controller', '--bogus'])).toBe(`unknown flag --bogus (allowed: ${Object.keys(COMMANDS.controller.options).map((k) => `--${k}`).join(', ')})`);
    expect(usageError(['dev', 'down', '--members', '3'])).toBe('unknown flag --members (allowed: --name, --purge)');
    expect(usageError(['eval', 'cleanup', '--kubeconfig', 'k', '--out', 'x'])).toMatch(/^unknown flag --out \(allowed: --kubeconfig, --context, --yes, /);
    expect(usageError(['status', '-x'])).toBe('unknown flag -x (allowed: --kubeconfig, --watch)');
  });

  it('says which flag lacks its value instead of taking the next flag as it', () => {
    expect(usageError(['eval', 'all', '--kubeconfig', '--context', 'c'])).toBe('--kubeconfig needs a value (got the flag "--context"; write --kubeconfig=--context if that is the value)');
    expect(usageError(['controller', '--listen'])).toBe('--listen needs a value');
    expect(usageError(['controller', '--listen='])).toBe('--listen needs a value');
    expect(usageError(['eval', 'all', '--yes=true'])).toBe('--yes is a switch and takes no value (got "true")');
  });

  it('refuses words the command does not take', () => {
    expect(usageError(['controller', 'now'])).toBe('unexpected argument "now" for "fedfeat controller"');
    expect(usageError(['dev', 'up', '3'])).toBe('unexpected argument "3" for "fedfeat dev up"');
    expect(usageError(['eval', 'overhead', 'disruption'])).toBe('unexpected argument "disruption" for "fedfeat eval"');
  });

  it('parses join and unjoin: the member, its context, access, features and --dry-run', () => {
    expect(parseCommandLine(['join', 'member-1', '--context', 'm1', '--access=enforce', '--features', 'podpreset', '--dry-run'])).toEqual({
      command: 'join', args: ['member-1'], values: { context: 'm1', access: 'enforce', features: 'podpreset', 'dry-run': true },
    });
    expect(parseCommandLine(['unjoin', 'member-1', '--context', 'm1'])).toEqual({ command: 'unjoin', args: ['member-1'], values: { context: 'm1' } });
    expect(() => parseCommandLine(['unjoin', 'member-1', '--dry-run'])).toThrow(UsageError);
  });

  it('names unknown and incomplete commands', () => {
    expect(usageError(['deploy'])).toBe('unknown command "deploy"');
    expect(usageError(['webhook'])).toBe('webhook needs a kind: podpreset');
    expect(usageError(['dev'])).toBe('dev needs a command: up, down, status, demo or env');
    expect(usageError(['dev', 'restart'])).toBe('unknown dev command "restart"');
  });

  it('shows the usage for help, --help, -h and no command at all, whatever else is there', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h'], ['status', '--help'], ['controller', '--bogus', '--help'], ['dev', 'up', '-h']]) {
      expect(parseCommandLine(argv)).toEqual({ command: 'help' });
    }
  });
});

describe('controller and webhook flags', () => {
  it('fills in the defaults', () => {
    const o = controllerOptions(parse('controller', ['controller']).values);
    expect(o).toEqual({
      kubeconfig: undefined, listen: '127.0.0.1:8080', leaderElect: true, leaseNamespace: 'kube-federation-system', identity: undefined, calicoManifestURL: undefined,
      controller: { resyncMs: 60_000, workers: 16, verifyTimeoutMs: 300_000, health: { periodMs: 10_000, timeoutMs: 3000, failureThreshold: 3, successThreshold: 1 } },
    });
    expect(webhookOptions(parse('webhook podpreset', ['webhook', 'podpreset']).values)).toEqual({ kubeconfig: undefined, listen: '0.0.0.0:8443', tlsDir: undefined, tlsSecret: undefined });
  });

  it('reads every flag (the Deployment in manifests/controller uses the --key=value form)', () => {
    const o = controllerOptions(parse('controller', ['controller', '--listen=0.0.0.0:8080', '--leader-elect=false', '--lease-namespace=ns', '--kubeconfig', 'k',
      '--identity', 'me', '--resync-seconds', '5', '--workers', '2', '--health-period-seconds', '1', '--verify-timeout-seconds', '30',
      '--calico-manifest-url', 'file:///c.yaml', '--simulated-node-annotation', 'kwok.x-k8s.io/node=fake']).values);
    expect(o).toMatchObject({ kubeconfig: 'k', listen: '0.0.0.0:8080', leaderElect: false, leaseNamespace: 'ns', identity: 'me', calicoManifestURL: 'file:///c.yaml' });
    expect(o.controller).toMatchObject({ resyncMs: 5000, workers: 2, verifyTimeoutMs: 30_000, health: { periodMs: 1000 }, probe: { simulatedNodeAnnotation: 'kwok.x-k8s.io/node=fake' } });
  });

  it('checks values', () => {
    expect(() => controllerOptions(parse('controller', ['controller', '--leader-elect', 'yes']).values)).toThrow('--leader-elect must be true or false (got "yes")');
    expect(() => controllerOptions(parse('controller', ['controller', '--workers', 'many']).values)).toThrow('--workers needs a whole number (got "many")');
  });
});

describe('eval flags', () => {
  it('runs locally without --kubeconfig, refusing the flags that only apply to clusters', () => {
    expect(remoteOptions(parse('eval', ['eval', 'all', '--repeats', '1']).values)).toBeUndefined();
    expect(() => remoteOptions(parse('eval', ['eval', 'all', '--yes', '--context', 'c']).values)).toThrow('--context, --yes only apply with --kubeconfig');
  });

  it('reads the clusters, the webhook URLs and the features', () => {
    const r = remoteOptions(parse('eval', ['eval', 'all', '--kubeconfig', 'k', '--context', 'a,b', '--yes', '--podpreset-webhook-url', 'a=https://h:1/x?y=z',
      '--features', 'podpreset,networkpolicy', '--node-agent-image', 'img']).values);
    expect(r).toMatchObject({ kubeconfig: 'k', contexts: ['a', 'b'], yes: true, webhookUrls: { a: 'https://h:1/x?y=z' }, features: ['podpreset', 'networkpolicy'], nodeAgentImage: 'img' });
    expect(() => remoteOptions(parse('eval', ['eval', 'all', '--kubeconfig', 'k']).values)).toThrow('--kubeconfig needs --context');
    expect(() => remoteOptions(parse('eval', ['eval', 'all', '--kubeconfig', 'k', '--context', 'a', '--features', 'gpu']).values)).toThrow('--features takes podpreset, cpumanagementpolicy, networkpolicy (got "gpu")');
  });
});
