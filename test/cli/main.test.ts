import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';

describe('drugtrace CLI entry', () => {
  it('exits 0 for --help', async () => {
    expect(await main(['--help'])).toBe(0);
  });

  it('exits 2 (usage) for an unknown command', async () => {
    expect(await main(['no-such-command'])).toBe(2);
  });
});
