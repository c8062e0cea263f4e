import { defineConfig } from 'vitest/config';

// The browser tests (test/web/*.e2e.ts): Debian's Chromium driven by playwright-core against the
// real server. Run with `npm run test:browser` (after `apt-get install chromium`); docs/web.md.
export default defineConfig({
  test: {
    include: ['test/web/**/*.e2e.ts'],
    // One browser, one server: the files run one after another.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
