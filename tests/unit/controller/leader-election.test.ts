import { canAcquire } from '../../../controller/leader-election.js';

describe('leader lease', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');
  it('may take a free lease or keep its own', () => {
    expect(canAcquire(undefined, 'me', now)).toBe(true);
    expect(canAcquire({}, 'me', now)).toBe(true);
    expect(canAcquire({ holderIdentity: 'me', renewTime: '2026-01-01T00:00:59Z', leaseDurationSeconds: 15 }, 'me', now)).toBe(true);
  });
  it('may not take a lease another holder renewed within its duration', () => {
    expect(canAcquire({ holderIdentity: 'other', renewTime: '2026-01-01T00:00:50Z', leaseDurationSeconds: 15 }, 'me', now)).toBe(false);
    expect(canAcquire({ holderIdentity: 'other', renewTime: '2026-01-01T00:00:40Z', leaseDurationSeconds: 15 }, 'me', now)).toBe(true);
  });
});
