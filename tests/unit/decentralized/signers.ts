// Fleet CA, agent signers and the trust check for unit tests of the fleet document (real certificates and keys).
import { createFleetCA, issueAgentCert, type AgentCredentials } from '../../../decentralized/agent-cert.js';
import { FleetTrust, agentSigner, caSigner, type Signer } from '../../../decentralized/fleet-signing.js';
import type { Pem } from '../../../pki/x509.js';

export interface TestFleet {
  ca: Pem;
  credentials: Map<string, AgentCredentials>;
  /** The member's agent signer: `signer('m1')`. */
  signer: (member: string) => Signer;
  caSigner: Signer;
  trust: FleetTrust;
}

export async function testFleet(members: string[]): Promise<TestFleet> {
  const ca = await createFleetCA('test');
  const credentials = new Map<string, AgentCredentials>();
  const signers = new Map<string, Signer>();
  for (const m of members) {
    const c = await issueAgentCert(ca, m, { ipAddresses: ['127.0.0.1'] });
    credentials.set(m, c);
    signers.set(m, agentSigner(c));
  }
  return {
    ca, credentials, caSigner: caSigner(ca), trust: new FleetTrust(ca.cert),
    signer: (m) => {
      const s = signers.get(m);
      if (!s) throw new Error(`no test signer for ${m}`);
      return s;
    },
  };
}
