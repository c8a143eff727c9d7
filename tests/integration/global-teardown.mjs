import { down } from '../../dist/local-federation/launcher.js';
import { TEST_FEDERATION } from '../../dist/tests/integration/federation.js';

export default async function globalTeardown() {
  if (process.env.FEDFEAT_TEST_REUSE === '1') return; // kept for the next run
  await down(TEST_FEDERATION, { purge: false });
}
