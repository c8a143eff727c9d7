// ESM project: ts-jest compiles TypeScript as ES modules; Node runs jest with
// --experimental-vm-modules (see package.json scripts).
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/integration/global-setup.mjs',
      globalTeardown: '<rootDir>/tests/integration/global-teardown.mjs',
    },
  ],
  // Integration tests share one federation; one test file at a time keeps the
  // 2-core machine from starving its API servers.
  maxWorkers: 1,
  testTimeout: 180000,
};
