import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { startDelayProxy } from '../../../local-federation/delay-proxy.js';

/** An echo server on loopback: what comes in goes straight back. */
let echo: net.Server;
let echoPort = 0;
beforeAll(async () => {
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

/** Round trips of one byte each over one connection, ms. */
async function roundTrips(port: number, n: number, payload = 'x'): Promise<{ rtts: number[]; echoed: string }> {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise<void>((r) => s.once('connect', () => r()));
  const rtts: number[] = [];
  let echoed = '';
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const got = new Promise<string>((r) => s.once('data', (b: Buffer) => r(b.toString())));
    s.write(payload);
    echoed += await got;
    rtts.push(performance.now() - t0);
  }
  s.destroy();
  return { rtts, echoed };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('delay proxy', () => {
  it('adds the round-trip delay, passes bytes through unchanged, and follows a change of delay', async () => {
    const direct = median((await roundTrips(echoPort, 5)).rtts);
    const proxy = await startDelayProxy({ host: '127.0.0.1', port: echoPort }, 40);
    try {
      const slow = await roundTrips(proxy.port, 5, 'abc');
      expect(slow.echoed).toBe('abcabcabcabcabc');
      expect(median(slow.rtts)).toBeGreaterThanOrEqual(39);
      expect(median(slow.rtts)).toBeLessThan(direct + 40 + 30);
      proxy.setRttMs(4);
      const fast = median((await roundTrips(proxy.port, 5)).rtts);
      expect(fast).toBeGreaterThanOrEqual(3.5);
      expect(fast).toBeLessThan(median(slow.rtts) - 20);
    } finally {
      await proxy.close();
    }
  });

  it('keeps the order of chunks when the delay shrinks mid-stream', async () => {
    const proxy = await startDelayProxy({ host: '127.0.0.1', port: echoPort }, 100);
    try {
      const s = net.connect(proxy.port, '127.0.0.1');
      let got = '';
      s.on('data', (b: Buffer) => (got += b.toString()));
      await new Promise<void>((r) => s.once('connect', () => r()));
      s.write('first-');
      await new Promise((r) => setTimeout(r, 5));
      proxy.setRttMs(0);
      s.write('second');
      await new Promise((r) => setTimeout(r, 250));
      expect(got).toBe('first-second');
      s.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('refuses a negative delay', async () => {
    await expect(startDelayProxy({ host: '127.0.0.1', port: echoPort }, -1)).rejects.toThrow(/0 ms or more/);
  });
});
