import { baseVitestConfig } from '@billing-center/vitest-config';
import { defineConfig } from 'vitest/config';

export default defineConfig(baseVitestConfig());
