import { baseVitestConfig } from '@billing-center/vitest-config';
import { defineConfig } from 'vitest/config';
import { PostgresqlCountReporter } from './test/support/postgresql-count.reporter.js';

const base = baseVitestConfig();

export default defineConfig({
  ...base,
  test: { ...base.test, reporters: ['default', new PostgresqlCountReporter()] },
});
