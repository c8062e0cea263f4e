import { afterEach, beforeEach, vi } from 'vitest';
import { main } from '../../cli/main.ts';

export interface CliRun {
  /** The exit code main() returned (DESIGN.md §10: 0 ok, 1 "no", 2 usage). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the drugtrace CLI in-process with stdout and stderr captured instead of printed. */
export async function runCli(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

/**
 * For test files that call main() directly: captures stdout and stderr around every test of the
 * file (registering its own beforeEach/afterEach) and exposes what was written so far; a test
 * that runs several commands may reset `io.stdout = ''` between them.
 */
export function captureOutput(): { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '' };
  beforeEach(() => {
    io.stdout = '';
    io.stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((io.stdout += chunk.toString()), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((io.stderr += chunk.toString()), true));
  });
  afterEach(() => vi.restoreAllMocks());
  return io;
}
