// Starts one local federation for the whole integration suite (or reuses a
// running one with FEDFEAT_TEST_REUSE=1, for fast local iterations). Jest
// loads this file outside its TypeScript transform, so it uses the compiled
// dist/ that `npm test` builds first.
import { up } from '../../dist/local-federation/launcher.js';
import { readState, instanceDir } from '../../dist/local-federation/state.js';
import { isRunning } from '../../dist/local-federation/processes.js';
import { realNodeLaunchOption, TEST_FEDERATION, TEST_MEMBERS, TEST_NODES } from '../../dist/tests/integration/federation.js';

export default async function globalSetup() {
  const existing = readState(instanceDir(TEST_FEDERATION));
  if (process.env.FEDFEAT_TEST_REUSE === '1' && existing?.phase === 'running' && existing.processes.every(isRunning)) {
    process.stderr.write(`\nreusing running federation "${TEST_FEDERATION}"\n`);
    return;
  }
  process.stderr.write(`\nstarting federation "${TEST_FEDERATION}" for the integration tests\n`);
  // FEDFEAT_TEST_REAL_NODE=off leaves the real node out; otherwise it starts where it can, and the tests that
  // need it fail (as root) or skip (otherwise) with the launcher's reason when it could not.
  const state = await up({ instance: TEST_FEDERATION, members: TEST_MEMBERS, nodesPerMember: TEST_NODES, realNode: realNodeLaunchOption() });
  process.stderr.write(`federation up in ${state.startupSeconds}s, ${state.memoryMiB} MiB RSS\n`);
}
