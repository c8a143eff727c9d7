import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PUBLISH, shouldPublish } from '../../../coordinates/publish-policy.js';

const at = (s: number) => s * 1000;

describe('shouldPublish', () => {
  const last = { predictedRTT: 0.020, error: 0.3, at: at(0) };
  it('writes the first estimate', () => {
    expect(shouldPublish(undefined, { predictedRTT: 0.02, error: 1.5, at: 0 })).toBe(true);
  });
  it('never writes more often than the minimum interval, however much it moved', () => {
    expect(shouldPublish(last, { predictedRTT: 0.2, error: 1.5, at: at(29) })).toBe(false);
    expect(shouldPublish(last, { predictedRTT: 0.2, error: 1.5, at: at(30) })).toBe(true);
  });
  it('writes when the predicted RTT moves by more than 10 % and 0.5 ms', () => {
    expect(shouldPublish(last, { predictedRTT: 0.0219, error: 0.3, at: at(60) })).toBe(false); // 9.5 %
    expect(shouldPublish(last, { predictedRTT: 0.0223, error: 0.3, at: at(60) })).toBe(true); // 11.5 %
    const small = { predictedRTT: 0.001, error: 0.3, at: 0 };
    expect(shouldPublish(small, { predictedRTT: 0.0014, error: 0.3, at: at(60) })).toBe(false); // 40 % but 0.4 ms
  });
  it('writes when the error estimate moves by more than 0.1', () => {
    expect(shouldPublish(last, { predictedRTT: 0.02, error: 0.21, at: at(60) })).toBe(false);
    expect(shouldPublish(last, { predictedRTT: 0.02, error: 0.19, at: at(60) })).toBe(true);
  });
  it('refreshes an unchanged estimate after refreshMs', () => {
    expect(shouldPublish(last, { ...last, at: DEFAULT_PUBLISH.refreshMs - 1 })).toBe(false);
    expect(shouldPublish(last, { ...last, at: DEFAULT_PUBLISH.refreshMs })).toBe(true);
  });
});
