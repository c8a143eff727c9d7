import { beforeAll, describe, expect, test } from '@jest/globals';
import * as A from '@automerge/automerge';
import { addressKey, advertise, newFleetDoc, revokedKey, revokeMember, statusKey, writeStatus, type FleetDoc } from '../../../decentralized/fleet-doc.js';
import { FleetTrust, certificateKey, publishCertificate, seal, signerOf, unseal } from '../../../decentralized/fleet-signing.js';
import { testFleet, type TestFleet } from './signers.js';

let tf: TestFleet;
let other: TestFleet; // another fleet's CA: its certificates are not ours
beforeAll(async () => {
  tf = await testFleet(['m1', 'm2']);
  other = await testFleet(['m1']);
});

const report = (member: string, state = 'Supported') => ({ member, featureconfig: 'gpu', generation: 1, features: [{ name: 'podpreset', state }], updated: '2026-11-26T00:00:00Z' });
const put = (d: A.Doc<FleetDoc>, key: string, text: string) => A.change(A.clone(d), (x) => { x[key] = new A.ImmutableString(text); });
/** Reasons `trust` finds in what `after` gained over `before`. */
const check = (before: A.Doc<FleetDoc>, after: A.Doc<FleetDoc>) => tf.trust.rejected(after, A.getHeads(before));

function withCerts(): A.Doc<FleetDoc> {
  return publishCertificate(publishCertificate(newFleetDoc(), tf.signer('m1')), tf.signer('m2'));
}

describe('signed fleet values', () => {
  test('which keys need whose signature', () => {
    expect(signerOf(statusKey('m1', 'gpu'))).toEqual({ member: 'm1' });
    expect(signerOf(addressKey('m2'))).toEqual({ member: 'm2' });
    expect(signerOf(revokedKey('m2'))).toBe('fleet-ca');
    expect(signerOf(certificateKey('m1', 'ab'))).toBe('certificate');
    expect(signerOf('s\u001fgpu\u001fpodpreset')).toBeUndefined(); // specs: any member
  });

  test('a member\'s own values, its certificate and a CA-signed revocation pass', () => {
    const base = newFleetDoc();
    let d = withCerts();
    d = writeStatus(d, report('m1'), tf.signer('m1'));
    d = advertise(d, 'm2', '10.0.0.2:7946', tf.signer('m2'));
    d = revokeMember(d, { member: 'm2', by: 'operator', at: '2026-11-26T00:00:00Z' }, tf.caSigner);
    expect(check(base, d)).toEqual([]);
    expect(JSON.parse(unseal(String(d[statusKey('m1', 'gpu')]))!)).toEqual(report('m1'));
  });

  test('forgeries are named: another member\'s key, a tampered payload, a value moved to another key, unsigned, a revocation not by the CA', () => {
    const base = withCerts();
    const forged = seal(tf.signer('m2'), statusKey('m1', 'gpu'), JSON.stringify(report('m1', 'Failed')));
    expect(check(base, put(base, statusKey('m1', 'gpu'), forged))).toEqual([expect.stringMatching(/status of m1 for gpu: signed with key .* not a certificate of m1/)]);
    const genuine = seal(tf.signer('m1'), statusKey('m1', 'gpu'), JSON.stringify(report('m1')));
    const tampered = JSON.stringify({ ...JSON.parse(genuine), p: JSON.stringify(report('m1', 'Failed')) });
    expect(check(base, put(base, statusKey('m1', 'gpu'), tampered))).toEqual([expect.stringMatching(/signature does not verify/)]);
    expect(check(base, put(base, statusKey('m1', 'other'), genuine))).toEqual([expect.stringMatching(/status of m1 for other: signature does not verify/)]);
    expect(check(base, put(base, addressKey('m1'), '10.0.0.9:7946'))).toEqual([expect.stringMatching(/address of m1: not signed/)]);
    const byMember = seal(tf.signer('m1'), revokedKey('m2'), '{}');
    expect(check(base, put(base, revokedKey('m2'), byMember))).toEqual([expect.stringMatching(/revocation of m2: signed by .*, not by the fleet CA/)]);
    const byOtherCA = seal(other.caSigner, revokedKey('m2'), '{}');
    expect(check(base, put(base, revokedKey('m2'), byOtherCA))).toEqual([expect.stringMatching(/signature does not verify/)]);
  });

  test('certificates: only the member\'s own, from the fleet CA, under its fingerprint', () => {
    const base = newFleetDoc();
    const m2 = tf.signer('m2');
    expect(check(base, put(base, certificateKey('m1', m2.keyId), m2.certificate!))).toEqual([expect.stringMatching(/names m2/)]);
    const foreign = other.signer('m1');
    expect(check(base, put(base, certificateKey('m1', foreign.keyId), foreign.certificate!))).toEqual([expect.stringMatching(/not issued by the fleet CA/)]);
    expect(check(base, put(base, certificateKey('m1', 'abcd'), tf.signer('m1').certificate!))).toEqual([expect.stringMatching(/does not match its fingerprint/)]);
    // A report signed with a foreign certificate's key: that certificate never gets in, so neither does the report.
    const d = put(publishCertificate(base, foreign), statusKey('m1', 'gpu'), seal(foreign, statusKey('m1', 'gpu'), JSON.stringify(report('m1'))));
    expect(check(base, d).length).toBe(2);
  });

  test('a forged value that loses a conflict now is still caught (it could win later)', () => {
    const base = writeStatus(withCerts(), report('m1'), tf.signer('m1'));
    const honest = writeStatus(A.clone(base), report('m1', 'Missing'), tf.signer('m1'));
    const forger = put(A.clone(base), statusKey('m1', 'gpu'), seal(tf.signer('m2'), statusKey('m1', 'gpu'), JSON.stringify(report('m1', 'Failed'))));
    const merged = A.merge(A.clone(honest), forger);
    expect(Object.keys(A.getConflicts(merged, statusKey('m1', 'gpu'))!).length).toBe(2);
    expect(check(honest, merged)).toEqual([expect.stringMatching(/status of m1 for gpu/)]);
  });

  test('epochs: a member\'s acknowledgement and proposal are its own; the epoch marker is never written by a peer into a history', () => {
    const base = withCerts();
    const ack = JSON.stringify({ n: 0, heads: [] });
    expect(check(base, put(base, 'ak\u001fm1', seal(tf.signer('m2'), 'ak\u001fm1', ack)))).toEqual([expect.stringMatching(/epoch acknowledgement of m1/)]);
    expect(check(base, put(base, 'ak\u001fm1', seal(tf.signer('m1'), 'ak\u001fm1', ack)))).toEqual([]);
    expect(check(base, put(base, 'ec\u001fm2', JSON.stringify({ n: 1, cut: [] })))).toEqual([expect.stringMatching(/epoch proposal of m2: not signed/)]);
    expect(check(base, put(base, 'en', JSON.stringify({ n: 7, cut: [] })))).toEqual([expect.stringMatching(/epoch marker/)]);
    // An empty document adopting the fleet's epoch takes the marker with the epoch's first change.
    expect(tf.trust.rejected(put(newFleetDoc(), 'en', JSON.stringify({ n: 1, cut: [] })), [])).toEqual([]);
  });

  test('a value removed is not a forgery (compaction removes reports; the owner writes its own again)', () => {
    const base = writeStatus(withCerts(), report('m1'), tf.signer('m1'));
    const d = A.change(A.clone(base), (x) => { delete x[statusKey('m1', 'gpu')]; });
    expect(check(base, d)).toEqual([]);
  });

  test('a trust built on another CA refuses this fleet\'s certificates', () => {
    const d = withCerts();
    expect(new FleetTrust(other.ca.cert).rejected(d, []).length).toBe(2);
  });
});
