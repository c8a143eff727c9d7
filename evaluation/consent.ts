// Before the harness changes a cluster it did not start, it says what it will
// do there and asks. Without a terminal to ask on, it needs --yes.
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';

export type ExperimentName = 'overhead' | 'disruption' | 'time-to-reconfigure';

/** The text shown before any change: every cluster, and what each experiment does there. Pure. */
export function describeChanges(
  clusters: Array<{ name: string; server: string; nodes: number }>, experiments: ExperimentName[], repeats: number,
  features: string[] = ['podpreset', 'cpumanagementpolicy', 'networkpolicy'],
): string {
  const lines = ['fedfeat eval will change these clusters (and only these):'];
  for (const c of clusters) lines.push(`  - context ${c.name}: ${c.server} (${c.nodes} nodes)`);
  lines.push('On each, where a feature is missing (a feature already present is measured nowhere and left alone):');
  if (experiments.includes('overhead')) {
    lines.push('  - overhead: installs the PodPreset API + webhook, sends dry-run pod creations (nothing stored), sets cpuManagerPolicy static',
      '    on every node (each kubelet restarted, one node at a time) and runs two CPU-bound pods on one node; then reverts both');
  }
  if (experiments.includes('disruption')) {
    lines.push('  - disruption: runs a web pod on one node and requests it through the API server while every kubelet is restarted twice',
      '    (rolling, then all nodes at once), reverting after each');
  }
  if (experiments.includes('time-to-reconfigure')) {
    const what: Record<string, string> = {
      podpreset: 'the PodPreset API + webhook', cpumanagementpolicy: 'the static CPU manager policy (kubelet restarts on every node)',
      networkpolicy: 'Calico (only where no CNI DaemonSet runs)',
    };
    lines.push(`  - time-to-reconfigure: installs and reverts, ${repeats} times each: ${features.map((f) => what[f] ?? f).join('; ')}`);
  }
  lines.push('Everything is recorded on the cluster (namespace fedfeat-eval) before it is changed and reverted at the end;',
    'after an interruption, "fedfeat eval cleanup --kubeconfig ... --context ..." undoes what is left.');
  return lines.join('\n');
}

/** Asks on a terminal; refuses without one unless --yes was given. */
export async function confirm(text: string, o: { yes: boolean; input: Readable & { isTTY?: boolean }; output: Writable }): Promise<void> {
  o.output.write(`${text}\n`);
  if (o.yes) {
    o.output.write('--yes given: going ahead.\n');
    return;
  }
  if (!o.input.isTTY) throw new Error('refusing to change clusters the harness did not start without confirmation: run it in a terminal to answer, or pass --yes');
  const rl = createInterface({ input: o.input, output: o.output });
  const answer = await new Promise<string>((res) => rl.question('Type "yes" to go ahead: ', res));
  rl.close();
  if (answer.trim().toLowerCase() !== 'yes') throw new Error('not confirmed: nothing was changed');
}
