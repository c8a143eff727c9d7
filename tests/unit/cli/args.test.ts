import { parseArgs } from '../../../cli/args.js';

describe('command-line flags', () => {
  it('takes a value after the flag or after the first "=", keeping later "=" in the value', () => {
    const p = parseArgs(['eval', 'all', '--simulated-node-annotation=kwok.x-k8s.io/node=fake', '--podpreset-webhook-url', 'a=https://h:1/x?y=z', '--repeats', '2']);
    expect(p.positional).toEqual(['eval', 'all']);
    expect(p.flags.get('simulated-node-annotation')).toBe('kwok.x-k8s.io/node=fake');
    expect(p.flags.get('podpreset-webhook-url')).toBe('a=https://h:1/x?y=z');
    expect(p.flags.get('repeats')).toBe('2');
  });
  it('never lets a switch swallow the next word', () => {
    const p = parseArgs(['eval', '--yes', 'all', '--purge', 'x']);
    expect(p.flags.get('yes')).toBe(true);
    expect(p.flags.get('purge')).toBe(true);
    expect(p.positional).toEqual(['eval', 'all', 'x']);
  });
  it('treats a flag followed by another flag as a switch', () => {
    expect(parseArgs(['--kubeconfig', '--context', 'c']).flags).toEqual(new Map<string, string | true>([['kubeconfig', true], ['context', 'c']]));
  });
});
