import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Exit codes scripts rely on (DESIGN.md §10). */
export const EXIT = {
  ok: 0,
  /** The answer is "no": an invalid code, a failed verification. */
  no: 1,
  /** The command was used wrongly: unknown option, missing argument, unreadable input file. */
  usage: 2,
} as const;

/** Thrown by commands to end with a given exit code and a message on stderr. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    /** Printed on stdout instead of the message when the command runs with --json. */
    readonly json?: unknown,
  ) {
    super(message);
  }
}

export const DEFAULT_DB = './data/drugtrace.db';

/** The SQLite file a command uses: --db, else the default, with its folder created. */
export function resolveDbFile(db: string | undefined): string {
  const file = resolve(db ?? DEFAULT_DB);
  mkdirSync(dirname(file), { recursive: true });
  return file;
}

export interface Output {
  json: boolean;
  /** With --json: one JSON document on stdout. Without: the human text. */
  result(value: unknown, human: () => string): void;
  /** Progress and notes for people go to stderr, so stdout stays parseable. */
  info(line: string): void;
}

export function output(opts: { json?: boolean }): Output {
  const json = Boolean(opts.json);
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? JSON.stringify(value) + '\n' : human() + '\n');
    },
    info(line) {
      if (!json) process.stderr.write(line + '\n');
    },
  };
}
