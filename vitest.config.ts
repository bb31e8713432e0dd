import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // System tests share namespaces, ports and apt state: files run one at a time, tests inside in order.
    fileParallelism: false,
    pool: 'forks',
  },
});
