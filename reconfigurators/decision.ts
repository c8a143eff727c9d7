// Probes decide with a chain of pure rules, the way cert-manager writes its
// certificate trigger policies: each rule looks at what the probe gathered
// and either gives the verdict (state, reason, message) or passes. The first
// verdict wins, so the order of the chain is the order of importance.

export interface Verdict {
  state: 'Supported' | 'Missing' | 'Unknown';
  /** One CamelCase word, for status and Events. */
  reason: string;
  message: string;
}

/** A rule: the verdict it reaches on this input, or undefined to pass to the next rule. */
export type Rule<Input> = (input: Input) => Verdict | undefined;

/** Runs the chain; the last rule must always decide. */
export function decide<Input>(input: Input, chain: ReadonlyArray<Rule<Input>>): Verdict {
  for (const rule of chain) {
    const v = rule(input);
    if (v) return v;
  }
  throw new Error('decision chain ended without a verdict (its last rule must always decide)');
}
