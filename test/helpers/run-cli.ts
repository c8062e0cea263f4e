import { vi } from 'vitest';
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
