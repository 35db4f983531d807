import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// The workflow suites that run twice: on PGlite with BullMQ on Redis, and on a PostgreSQL server carrying
// both state and jobs (test/helpers/workflow-stores.ts). The storage and queue suites name their variants
// themselves (test/helpers/database-backends.ts).
const ON_BOTH_DATABASES = [
  'test/workflow/workflow-flow.spec.ts',
  'test/workflow/memory-flow.spec.ts',
  'test/e2e/engine-flow.spec.ts',
];

const serverUrl = process.env.TANDEM_TEST_POSTGRES_URL;
const serverVersion = process.env.TANDEM_TEST_POSTGRES_VERSION;
const serverProject: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: serverVersion ? `postgres ${serverVersion} server` : 'postgres server',
    include: ON_BOTH_DATABASES,
    env: { TANDEM_TEST_DATABASE: 'postgres' },
  },
};
// Under CI=true the server project always runs, so a missing server fails it instead of passing unseen.
const runOnServer = Boolean(serverUrl) || process.env.CI === 'true';
if (!runOnServer) {
  // The config's one way to say why a project is absent (vitest prints it before the run).
  // eslint-disable-next-line no-console
  console.warn(
    `[vitest] skipped: ${ON_BOTH_DATABASES.join(', ')} on a PostgreSQL server ` +
      '(TANDEM_TEST_POSTGRES_URL is not set; .ci/run starts a server and sets it; docs/storage.md)',
  );
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: Docker, PGlite (WASM) and node-llama-cpp suites are heavy; keep parallelism modest.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'tandem',
          include: ['src/**/*.spec.ts', 'worker/**/*.spec.ts', 'test/**/*.spec.ts'],
          exclude: [...configDefaults.exclude, ...ON_BOTH_DATABASES],
        },
      },
      {
        extends: true,
        test: {
          name: 'pglite',
          include: ON_BOTH_DATABASES,
          env: { TANDEM_TEST_DATABASE: 'pglite' },
        },
      },
      ...(runOnServer ? [serverProject] : []),
    ],
  },
});
