import { defineConfig } from 'vitest/config';

/**
 * The long reliability runs (crash, disk full, read-only), kept out of `npm test`: their files end
 * in `.long.ts`, which the default config does not include. `npm run test:reliability` runs them
 * all, `npm run test:crash` only the crash rounds.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.long.ts'],
    // One file at a time: each starts servers as child processes on a 2-core machine.
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
