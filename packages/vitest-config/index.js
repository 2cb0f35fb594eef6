// Shared vitest settings: every package's vitest.config.ts spreads this.
// `*.spec.ts` sit next to the code or in test/, `*.int.spec.ts` need real services.
/** @param {{ include?: string[], testTimeout?: number }} [overrides] */
export function baseVitestConfig(overrides = {}) {
  return {
    test: {
      include: overrides.include ?? ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      environment: 'node',
      testTimeout: overrides.testTimeout ?? 30_000,
      // hooks start real processes (the simulator, the apps): on a loaded CI machine that takes a while
      hookTimeout: 120_000,
      reporters: process.env.CI ? ['default'] : ['default'],
      pool: 'forks',
    },
  };
}
