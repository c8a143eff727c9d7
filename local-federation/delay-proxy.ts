// A TCP proxy that adds a round-trip delay, to make a local API server look
// as far away as a fog or cloud site. `tc netem` would be the usual tool, but
// this machine's kernel has no netem (nor prio) qdisc; a proxy in front of the
// port is what remains, and it lets a test change one site's delay while
// everything else on the machine keeps its own loopback speed. Each direction
// is held for half the round-trip delay, order kept (a chunk is never released
// before the one that came in ahead of it). Bytes pass through untouched, so
// TLS runs end to end between client and server.
import net from 'node:net';

export interface DelayProxy {
  port: number;
  /** Round-trip delay added now, ms. */
  readonly rttMs: number;
  /** Changes the delay for data arriving from now on. */
  setRttMs(ms: number): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port unless `listenPort` is given) and forwards to `target`. */
export async function startDelayProxy(target: { host: string; port: number }, rttMs: number, listenPort = 0): Promise<DelayProxy> {
  if (!(rttMs >= 0)) throw new Error(`delay must be 0 ms or more (got ${rttMs})`);
  let delay = rttMs;
  const sockets = new Set<net.Socket>();
  // One FIFO and one timer per direction: separate timers per chunk may fire out of order when their due
  // times coincide (Node keeps timers of different durations in different lists).
  const pipe = (from: net.Socket, to: net.Socket) => {
    const queue: Array<{ at: number; chunk: Buffer | null }> = []; // null: the end of the stream
    let timer: NodeJS.Timeout | undefined;
    const drain = () => {
      timer = undefined;
      while (queue.length && queue[0]!.at <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (to.destroyed) continue;
        if (chunk) to.write(chunk);
        else to.end();
      }
      if (queue.length) timer = setTimeout(drain, queue[0]!.at - Date.now());
    };
    const push = (chunk: Buffer | null) => {
      const last = queue.length ? queue[queue.length - 1]!.at : 0;
      queue.push({ at: Math.max(Date.now() + delay / 2, last), chunk });
      timer ??= setTimeout(drain, queue[0]!.at - Date.now());
    };
    from.on('data', (chunk: Buffer) => push(chunk));
    from.on('end', () => push(null));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get rttMs() { return delay; },
    setRttMs(ms: number) {
      if (!(ms >= 0)) throw new Error(`delay must be 0 ms or more (got ${ms})`);
      delay = ms;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
