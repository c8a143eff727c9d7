// When a member's coordinate is worth writing to the host (pure). Coordinates
// move a little on every probe; writing each move would cost the host one
// write per member per probe period (350 writes/s at 3,500 members). A write
// happens when what a reader would conclude changes: the predicted RTT moves
// by more than 10 % (and 0.5 ms), or the error estimate by more than 0.1;
// never more often than minIntervalMs per member; and at least every
// refreshMs so the object's updateTime says the estimate is alive.

export interface Published {
  predictedRTT: number;
  error: number;
  at: number;
}

export interface PublishPolicy {
  minIntervalMs: number;
  refreshMs: number;
  relativeChange: number;
  absoluteChangeSeconds: number;
  errorChange: number;
}

export const DEFAULT_PUBLISH: PublishPolicy = {
  minIntervalMs: 30_000, refreshMs: 600_000, relativeChange: 0.1, absoluteChangeSeconds: 0.0005, errorChange: 0.1,
};

export function shouldPublish(last: Published | undefined, now: Published, p: PublishPolicy = DEFAULT_PUBLISH): boolean {
  if (!last) return true;
  const since = now.at - last.at;
  if (since < p.minIntervalMs) return false;
  if (since >= p.refreshMs) return true;
  const moved = Math.abs(now.predictedRTT - last.predictedRTT);
  if (moved > p.absoluteChangeSeconds && moved > p.relativeChange * last.predictedRTT) return true;
  return Math.abs(now.error - last.error) > p.errorChange;
}
