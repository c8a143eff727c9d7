import { describe, expect, it } from '@jest/globals';
import { MemberCoordinates } from '../../../coordinates/member-coordinates.js';
import { DEFAULT_VIVALDI, distance } from '../../../coordinates/vivaldi.js';
import { seeded } from '../../support/vivaldi-simulation.js';

describe('MemberCoordinates (host health probes as samples)', () => {
  it('learns each member’s distance from the host within 5 % from probes alone', () => {
    const rtt: Record<string, number> = { edge1: 0.002, edge2: 0.004, cloud: 0.045 };
    const c = new MemberCoordinates(DEFAULT_VIVALDI, seeded(11));
    for (let round = 0; round < 200; round++) for (const [m, r] of Object.entries(rtt)) c.observe(m, r);
    for (const [m, r] of Object.entries(rtt)) {
      const v = c.view(m)!;
      expect(Math.abs(v.predictedRTT - r) / r).toBeLessThan(0.05);
      expect(v.measuredRTT).toBeCloseTo(r, 6);
      expect(v.samples).toBe(200);
      expect(v.coordinate.error).toBeLessThan(0.3);
    }
    // member to member goes through the host in a star: an upper bound, cloud still farthest
    const edge1 = c.view('edge1')!.coordinate;
    expect(distance(edge1, c.view('cloud')!.coordinate)).toBeGreaterThan(distance(edge1, c.view('edge2')!.coordinate));
  });

  it('refuses an implausible sample without creating or moving anything', () => {
    const c = new MemberCoordinates(DEFAULT_VIVALDI, seeded(12));
    expect(c.observe('m', Number.POSITIVE_INFINITY)).toBe(false);
    expect(c.view('m')).toBeUndefined();
    c.observe('m', 0.01);
    const before = c.view('m')!;
    expect(c.observe('m', -1)).toBe(false);
    expect(c.view('m')).toEqual(before);
  });

  it('a seeded member keeps its stored coordinate and shows nothing until measured again', () => {
    const learned = new MemberCoordinates(DEFAULT_VIVALDI, seeded(13));
    for (let i = 0; i < 100; i++) learned.observe('m', 0.03);
    const stored = learned.view('m')!.coordinate;
    const next = new MemberCoordinates(DEFAULT_VIVALDI, seeded(14));
    expect(next.seed('m', stored)).toBe(true);
    expect(next.view('m')).toBeUndefined();
    expect(next.seed('bad', { ...stored, vec: [Number.NaN] })).toBe(false);
    next.observe('m', 0.03);
    // the settled member moves little: the untrained host (error 1.5) takes the correction
    const v = next.view('m')!;
    expect(v.coordinate.error).toBeLessThan(0.3);
    for (let i = 0; i < 20; i++) next.observe('m', 0.03);
    expect(Math.abs(next.view('m')!.predictedRTT - 0.03) / 0.03).toBeLessThan(0.1);
  });

  it('forgets a member that left', () => {
    const c = new MemberCoordinates(DEFAULT_VIVALDI, seeded(15));
    c.observe('m', 0.01);
    c.forget('m');
    expect(c.view('m')).toBeUndefined();
    expect(c.names()).toEqual([]);
  });
});
