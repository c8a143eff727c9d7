// The disruption experiment's client, run as its own process inside a client
// network namespace (nsenter --net): GETs a URL every intervalMs on a new
// connection each time (so every request goes through kube-proxy's rules as
// they are at that moment), and prints one line per request to stdout:
// "<epoch ms> <latency ms>" or "<epoch ms> -1" for a failure. Stops on SIGTERM.
//
//   node dist/evaluation/service-client.js --url http://10.96.0.20/i [--interval-ms 10] [--timeout-ms 1000]
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { url: { type: 'string' }, 'interval-ms': { type: 'string', default: '10' }, 'timeout-ms': { type: 'string', default: '1000' } } });
if (!values.url) throw new Error('--url is required');
const url = values.url;
const interval = Number(values['interval-ms']);
const timeout = Number(values['timeout-ms']);
let stopped = false;
process.on('SIGTERM', () => {
  stopped = true;
});

const once = () => new Promise<boolean>((res) => {
  const req = http.get(url, { agent: false, timeout }, (rs) => {
    rs.resume();
    rs.on('end', () => res(rs.statusCode === 200));
    rs.on('error', () => res(false));
  });
  req.on('error', () => res(false));
  req.on('timeout', () => req.destroy());
});

while (!stopped) {
  const start = Date.now();
  const s = performance.now();
  const ok = await once();
  process.stdout.write(`${start} ${ok ? (performance.now() - s).toFixed(2) : -1}\n`);
  await new Promise((r) => setTimeout(r, interval));
}
