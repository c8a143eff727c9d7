import { disruption } from '../../../evaluation/load.js';

describe('evaluation load', () => {
  it('counts failed requests and the longest gap between successes', () => {
    expect(disruption([{ t: 0, ms: 1 }, { t: 0.1, ms: null }, { t: 0.2, ms: null }, { t: 0.3, ms: 2 }, { t: 0.35, ms: 1 }])).toEqual({ ok: 3, failed: 2, longestGapMs: 300 });
  });
});
