import { linearFit, percentile, summarize } from '../../../evaluation/stats.js';

describe('evaluation statistics', () => {
  it('summarizes with nearest-rank percentiles and sample stddev', () => {
    const s = summarize([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    expect(s).toMatchObject({ n: 10, min: 1, max: 10, p50: 5, p95: 10, p99: 10, mean: 5.5 });
    expect(s.stddev).toBeCloseTo(3.0277, 3);
    expect(percentile([], 50)).toBeNaN();
  });
  it('fits a line and says how straight it is', () => {
    expect(linearFit([1, 5, 10], [2, 10, 20])).toMatchObject({ slope: 2, intercept: 0, r2: 1 });
    expect(linearFit([1, 2, 3, 4], [1, 4, 9, 16]).r2).toBeLessThan(1);
  });
});
