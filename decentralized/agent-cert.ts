// The fleet CA and agent certificates (pki/x509.ts underneath). An agent's
// certificate is both its server and client identity on the gossip port.
import { createCA, issueCert, type Pem } from '../pki/x509.js';
import { AGENT_ORGANIZATION, OPERATOR_ORGANIZATION } from './peer-auth.js';

export interface AgentCredentials {
  ca: string; // the fleet CA certificate (PEM): the only issuer an agent trusts
  cert: string;
  key: string;
}

export const createFleetCA = (fleet: string): Promise<Pem> => createCA(`fedfeat fleet ${fleet}`);

/** An agent certificate for `member`: CN and DNS SAN the member name, plus the addresses it listens on. */
export async function issueAgentCert(ca: Pem, member: string, addresses: { dnsNames?: string[]; ipAddresses?: string[] } = {}, days = 365): Promise<AgentCredentials> {
  const pem = await issueCert(ca, {
    commonName: member,
    organizations: [AGENT_ORGANIZATION],
    dnsNames: [member, ...(addresses.dnsNames ?? [])],
    ipAddresses: addresses.ipAddresses ?? [],
    usage: 'server-client',
    days,
  });
  return { ca: ca.cert, cert: pem.cert, key: pem.key };
}

/**
 * A short-lived operator certificate (client only): lets `fedfeat unjoin` / `agent revoke` sync with
 * agents to hand them a revocation it signs with the CA key. One day: the CLI uses it for seconds.
 */
export async function issueOperatorCert(ca: Pem, name = 'fedfeat-operator'): Promise<AgentCredentials> {
  const pem = await issueCert(ca, { commonName: name, organizations: [OPERATOR_ORGANIZATION], usage: 'client', days: 1 });
  return { ca: ca.cert, cert: pem.cert, key: pem.key };
}
