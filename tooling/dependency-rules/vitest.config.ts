import { baseVitestConfig } from '@billing-center/vitest-config';
import { defineConfig, mergeConfig } from 'vitest/config';

// Each spec's beforeAll runs dependency-cruiser over a whole tree; under `pnpm test` it shares the CPU with
// every other package's specs, so it gets more than vitest's default 10 s.
export default mergeConfig(
  defineConfig(baseVitestConfig({ include: ['test/**/*.spec.ts'] })),
  defineConfig({ test: { hookTimeout: 120_000 } }),
);
