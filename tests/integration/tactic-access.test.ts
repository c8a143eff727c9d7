// Each tactic run end to end (probe, reconfigure, verify, revert) with a
// member's least-privilege registration, as the controller runs it: the member's
// API server refuses anything `fedfeat join` did not grant, and every request
// the tactic made is compared with the rules the tactic declares
// (reconfigurators/<tactic>/access.ts), so a rule that is missing, or a
// request that only passes through another tactic's rule, fails here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calicoLikeManifest } from '../../local-federation/calico-standin.js';
import { accessFor } from '../../reconfigurators/access.js';
import { accessAllows } from '../../reconfigurators/rbac.js';
import { CalicoReconfigurator } from '../../reconfigurators/calico/reconfigurator.js';
import { PodPresetReconfigurator } from '../../reconfigurators/podpreset/reconfigurator.js';
import { joinedClient, memberContext, type JoinedClient } from './federation.js';

describe('tactics with least-privilege member access', () => {
  let m2: JoinedClient;
  beforeAll(async () => {
    m2 = await joinedClient('member-2');
  });
  afterAll(() => m2.client.close());

  it('podpreset: install, verify, revert within its enforce role; its probe within inform, but for the Secrets it may do without', async () => {
    const r = new PodPresetReconfigurator();
    const ctx = await memberContext('member-2', m2.client);
    const feature = { name: 'podpreset' as const };
    m2.requests.length = 0;
    const first = await r.probe(ctx);
    if (first.state === 'Missing') await r.reconfigure(ctx, feature, first);
    expect(await r.verify(ctx, feature, 60_000)).toMatchObject({ state: 'Supported' });
    const start = m2.requests.length;
    expect(await r.probe(ctx)).toMatchObject({ state: 'Supported' }); // the full probe: certificates and the dry-run pod
    const probeOnly = m2.requests.slice(start);
    await r.revert(ctx);
    expect(m2.notAllowedBy(accessFor('enforce', ['podpreset']))).toEqual([]);
    // Inform access holds no Secrets (they carry the webhook's private keys): the probe then skips the certificate check.
    const inform = accessFor('inform', ['podpreset']);
    expect(probeOnly.filter((q) => q.resource !== 'secrets' && !accessAllows(inform, q)).map((q) => q.raw)).toEqual([]);
    expect(probeOnly.some((q) => q.verb === 'create' && q.resource === 'pods' && q.namespace === 'fedfeat-probe')).toBe(true);
  });

  it('networkpolicy (Calico): install, verify, revert within its enforce role', async () => {
    const body = calicoLikeManifest();
    const server = http.createServer((_q, res) => res.end(body));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/calico.yaml`;
      const r = new CalicoReconfigurator();
      const ctx = await memberContext('member-2', m2.client);
      const feature = { name: 'networkpolicy' as const, calico: { manifestURL: url } };
      m2.requests.length = 0;
      const probe = await r.probe(ctx);
      expect(probe).toMatchObject({ state: 'Missing' });
      await r.reconfigure(ctx, feature, probe);
      expect(await r.verify(ctx, feature, 120_000)).toMatchObject({ state: 'Supported' });
      await r.revert(ctx, feature);
      expect(m2.notAllowedBy(accessFor('enforce', ['networkpolicy']))).toEqual([]);
      expect(m2.requests.filter((q) => q.verb === 'patch').length).toBeGreaterThan(5);
    } finally {
      await new Promise<void>((res) => server.close(() => res()));
    }
  });
});
