import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';

describe('drugtrace CLI entry', () => {
  afterEach(() => vi.restoreAllMocks());

  function quiet() {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return { out, err };
  }

  it('exits 0 for --help and lists the commands', async () => {
    const { out } = quiet();
    expect(await main(['--help'])).toBe(0);
    expect(out.mock.calls.join('')).toContain('parse');
  });

  it('exits 2 (usage) for an unknown command and says so on stderr', async () => {
    const { out, err } = quiet();
    expect(await main(['no-such-command'])).toBe(2);
    expect(err.mock.calls.join('')).toContain("unknown command 'no-such-command'");
    expect(out).not.toHaveBeenCalled();
  });
});
