import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'worker/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: Docker, PGlite (WASM) and node-llama-cpp suites are heavy; keep parallelism modest.
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
  },
});
