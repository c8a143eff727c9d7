import { down } from '../../local-federation/launcher.js';
import { TEST_FEDERATION } from './federation.js';

export default async function globalTeardown(): Promise<void> {
  if (process.env.FEDFEAT_TEST_REUSE === '1') return; // kept for the next run
  await down(TEST_FEDERATION, { purge: false });
}
