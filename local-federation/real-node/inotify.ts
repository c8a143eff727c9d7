// Each real node's containerd (its CRI plugin watches the CNI folder) and
// kubelet take inotify instances; the kernel's default limit of 128 per user
// runs out with a few real nodes beside a desktop's or CI runner's own
// watchers, and the CRI plugin then fails to load ("too many open files",
// the kubelet reports "unknown service runtime.v1.RuntimeService").
import { readFileSync, writeFileSync } from 'node:fs';

const LIMIT = '/proc/sys/fs/inotify/max_user_instances';

/** Raises the per-user inotify instance limit to at least `min` (root only); returns what changed, if anything. */
export function ensureInotifyInstances(min = 1024): string | undefined {
  let now: number;
  try {
    now = Number(readFileSync(LIMIT, 'utf8').trim());
  } catch {
    return undefined; // not Linux, or /proc not mounted: nothing to do
  }
  if (!Number.isFinite(now) || now >= min) return undefined;
  writeFileSync(LIMIT, String(min));
  return `fs.inotify.max_user_instances raised from ${now} to ${min} (each real node's containerd and kubelet watch files)`;
}
