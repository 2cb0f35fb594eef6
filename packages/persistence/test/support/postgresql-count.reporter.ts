import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints how many PostgreSQL specs (`*.int.spec.ts`) ran, and fails the run when none did although they
 * should have: in CI (`CI` set), or when PostgreSQL spec files were selected. A suite that quietly skips
 * its database half would otherwise look green.
 */
export class PostgresqlCountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const modules = testModules.filter((m) => m.moduleId.endsWith('.int.spec.ts'));
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    const executed = passed + failed;
    const server = process.env.DATABASE_URL
      ? 'DATABASE_URL'
      : 'the default postgres://postgres@127.0.0.1:5432';
    console.log(
      `PostgreSQL specs executed: ${executed} in ${modules.length} files (passed ${passed}, failed ${failed}, skipped ${skipped}; server: ${server})`,
    );
    if (executed === 0 && (process.env.CI || modules.length > 0)) {
      console.error('PostgreSQL specs executed: 0 — the PostgreSQL half of this suite did not run; failing.');
      process.exitCode = 1;
    }
  }
}
