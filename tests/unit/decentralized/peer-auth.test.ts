import { describe, expect, test } from '@jest/globals';
import { acceptPeer, agentIdentity, AGENT_ORGANIZATION, OPERATOR_ORGANIZATION } from '../../../decentralized/peer-auth.js';

const cert = (cn: string, o: string[] = [AGENT_ORGANIZATION], san = `DNS:${cn}, IP Address:127.0.0.1`) =>
  ({ subject: { CN: cn, O: o.length === 1 ? o[0]! : o } as never, subjectaltname: san });

describe('agent identity', () => {
  test('an agent certificate names its member', () => {
    expect(agentIdentity(cert('member-2'))).toEqual({ ok: true, member: 'member-2' });
  });
  test.each([
    ['no certificate', undefined, /no client certificate/],
    ['CN not a member name', cert('Member_2'), /not a member name/],
    ['not an agent certificate', cert('member-2', ['system:masters']), /not an agent certificate/],
    ['SAN without the member', cert('member-2', [AGENT_ORGANIZATION], 'DNS:member-3'), /subject alternative names/],
  ])('%s is refused', (_what, c, reason) => {
    const r = agentIdentity(c);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });
  test('revoked, unexpected and self are refused', () => {
    expect(acceptPeer(cert('member-3'), 'member-1', new Set(['member-3']))).toMatchObject({ ok: false, reason: expect.stringMatching(/removed from the fleet/) });
    expect(acceptPeer(cert('member-3'), 'member-1', new Set(), 'member-2')).toMatchObject({ ok: false, reason: expect.stringMatching(/expected the agent of member-2/) });
    expect(acceptPeer(cert('member-1'), 'member-1', new Set())).toMatchObject({ ok: false, reason: 'connected to itself' });
    expect(acceptPeer(cert('member-3'), 'member-1', new Set(['member-4']), 'member-3')).toEqual({ ok: true, member: 'member-3' });
  });

  test('an operator certificate may connect to an agent, but an agent never dials one, and it is no member', () => {
    expect(acceptPeer(cert('fedfeat-unjoin', [OPERATOR_ORGANIZATION], ''), 'member-1', new Set())).toEqual({ ok: true, member: 'operator/fedfeat-unjoin' });
    expect(acceptPeer(cert('member-2', [OPERATOR_ORGANIZATION], ''), 'member-1', new Set(), 'member-2')).toMatchObject({ ok: false, reason: expect.stringMatching(/not an agent certificate/) });
    expect(acceptPeer(cert('x', [OPERATOR_ORGANIZATION, AGENT_ORGANIZATION]), 'member-1', new Set())).toMatchObject({ ok: false, reason: expect.stringMatching(/both/) });
    expect(acceptPeer(cert('Not_A_Label', [OPERATOR_ORGANIZATION], ''), 'member-1', new Set())).toMatchObject({ ok: false, reason: expect.stringMatching(/DNS label/) });
  });
});

describe('certificate fields without TLS', () => {
  test('subject and SANs from an X509Certificate, as TLS would give them', async () => {
    const { X509Certificate } = await import('node:crypto');
    const { createFleetCA, issueAgentCert } = await import('../../../decentralized/agent-cert.js');
    const { certFields } = await import('../../../decentralized/peer-auth.js');
    const c = await issueAgentCert(await createFleetCA('t'), 'member-7', { ipAddresses: ['10.0.0.7'] });
    const fields = certFields(new X509Certificate(c.cert));
    expect(agentIdentity(fields)).toEqual({ ok: true, member: 'member-7' });
    expect(fields.subjectaltname).toContain('IP Address:10.0.0.7');
  });
});
