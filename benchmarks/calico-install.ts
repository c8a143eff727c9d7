// Calico tactic benchmark: time to install (apply the rewritten manifest and
// wait until calico-node is Ready on every node) and to revert, on a real
// member API server with 5 and 100 KWOK nodes. The manifest is the local
// stand-in (real Calico images cannot be pulled here), so the figures measure
// fedfeat and the control plane, not Calico's own start-up.
//
//   node dist/benchmarks/calico-install.js [--nodes 5,100]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../controller/logger.js';
import { KubeClient } from '../kube-client/client.js';
import { calicoLikeManifest } from '../local-federation/calico-standin.js';
import { down, up } from '../local-federation/launcher.js';
import { CalicoReconfigurator } from '../reconfigurators/calico/reconfigurator.js';
import type { MemberContext } from '../reconfigurators/types.js';
import { sleep } from '../kube-client/wait.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';

const i = process.argv.indexOf('--nodes');
const sizes = (i > 0 ? process.argv[i + 1]! : '5,100').split(',').map(Number);
const manifest = calicoLikeManifest();
const server = http.createServer((_q, res) => res.end(manifest));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/calico.yaml`;
const rows = [];
try {
  for (const nodes of sizes) {
    process.stderr.write(`benchmark: 1 member with ${nodes} KWOK nodes...\n`);
    const state = await up({ instance: 'benchcal', members: 1, nodesPerMember: nodes, realNode: 'off', quiet: true });
    const member = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === 'member-1')!.kubeconfig);
    try {
      const ctx: MemberContext = {
        cluster: 'member-1', annotations: {}, client: member, log: createLogger('warn'), signal: new AbortController().signal,
        options: { nodeProbeConcurrency: 8, requestTimeoutMs: 10_000 }, now: () => new Date(), event: () => undefined,
      };
      const feature = { name: 'networkpolicy' as const, calico: { manifestURL: url } };
      const t0 = performance.now();
      await probeThenReconfigure(new CalicoReconfigurator(), ctx, feature);
      const applied = performance.now();
      const r = new CalicoReconfigurator();
      // Polled every 0.5 s (the controller polls every 2 s).
      let v = await r.probe(ctx);
      while (v.state !== 'Supported' && performance.now() - t0 < 600_000) {
        await sleep(500);
        v = await r.probe(ctx);
      }
      if (v.state !== 'Supported') throw new Error(`not Supported after 600 s: ${v.message}`);
      const ready = performance.now();
      await r.revert(ctx, feature);
      const reverted = performance.now();
      rows.push({ nodes, applySeconds: +((applied - t0) / 1000).toFixed(2), installToReadySeconds: +((ready - t0) / 1000).toFixed(2), revertSeconds: +((reverted - ready) / 1000).toFixed(2) });
    } finally {
      member.close();
      await down('benchcal', { purge: true, quiet: true });
    }
  }
} finally {
  server.close();
}
console.table(rows);
process.stdout.write(`${JSON.stringify(rows)}\n`);
