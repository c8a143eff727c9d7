// Starts one local federation for the whole integration suite (or reuses the
// one named in FEDFEAT_TEST_FEDERATION, for fast local iterations).
import { up } from '../../local-federation/launcher.js';
import { readState, instanceDir } from '../../local-federation/state.js';
import { isRunning } from '../../local-federation/processes.js';
import { TEST_FEDERATION, TEST_MEMBERS, TEST_NODES } from './federation.js';

export default async function globalSetup(): Promise<void> {
  const existing = readState(instanceDir(TEST_FEDERATION));
  if (process.env.FEDFEAT_TEST_REUSE === '1' && existing?.phase === 'running' && existing.processes.every(isRunning)) {
    process.stderr.write(`\nreusing running federation "${TEST_FEDERATION}"\n`);
    return;
  }
  process.stderr.write(`\nstarting federation "${TEST_FEDERATION}" for the integration tests\n`);
  const state = await up({ instance: TEST_FEDERATION, members: TEST_MEMBERS, nodesPerMember: TEST_NODES, realNode: 'auto' });
  process.stderr.write(`federation up in ${state.startupSeconds}s, ${state.memoryMiB} MiB RSS\n`);
}
