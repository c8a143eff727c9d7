// The controller's HTTP endpoints: /metrics for Prometheus, /healthz and
// /readyz for the kubelet's probes.
import type { RequestListener } from 'node:http';
import type { Metrics } from './metrics.js';

export function endpoints(metrics: Metrics, ready: () => boolean): RequestListener {
  return (req, res) => {
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (req.url === '/metrics') {
      // A failing collector answers this scrape with 500 rather than leaving it hanging.
      metrics.render().then((text) => reply(200, text, metrics.contentType), (e: Error) => reply(500, `metrics: ${e.message}`));
      return;
    }
    if (req.url === '/healthz') return reply(200, 'ok');
    if (req.url === '/readyz') return ready() ? reply(200, 'ok') : reply(503, 'informers not synced');
    reply(404, 'not found');
  };
}
