import { Command, CommanderError } from 'commander';
import { CliExit, EXIT } from './common.ts';

type Register = (program: Command) => void;

/** Each command lives in its own module under cli/commands and adds itself to the program. */
const COMMAND_MODULES: Array<() => Promise<{ register: Register }>> = [
  // one line per command module, kept in DESIGN.md §10 order
  () => import('./commands/ledger.ts'),
  () => import('./commands/backup.ts'),
  () => import('./commands/token.ts'),
  () => import('./commands/serve.ts'),
  () => import('./commands/demo.ts'),
  () => import('./commands/parse.ts'),
  () => import('./commands/scan.ts'),
  () => import('./commands/product.ts'),
  () => import('./commands/codes.ts'),
  () => import('./commands/party.ts'),
  () => import('./commands/capture.ts'),
  () => import('./commands/label.ts'),
  () => import('./commands/history.ts'),
  () => import('./commands/verify.ts'),
  () => import('./commands/recall.ts'),
  () => import('./commands/events.ts'),
  () => import('./commands/proof.ts'),
  () => import('./commands/detectors.ts'),
  () => import('./commands/alerts.ts'),
];

export async function buildProgram(): Promise<Command> {
  const program = new Command('drugtrace')
    .description('Drug traceability codes and a tamper-evident supply-chain ledger')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  DATABASE_URL       the database of every command with --db when --db is not given: a postgres:// URL',
        '                     (or a SQLite file); without it ./data/drugtrace.db',
        '  DRUGTRACE_KEY_DIR  for a PostgreSQL database, the folder of its key files (<database>.operator-key,',
        '                     <database>.keys/<party>.key); default the current folder. A SQLite file keeps them beside it.',
        '  DRUGTRACE_SERVER, DRUGTRACE_TOKEN  run the commands that take --server against a DrugTrace API server',
      ].join('\n'),
    );
  for (const load of COMMAND_MODULES) (await load()).register(program);
  // Subcommands inherit exitOverride only when set before they are added; set it on every one.
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI and returns the process exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliExit) {
      const wantsJson = argv.includes('--json');
      if (wantsJson && err.json !== undefined) process.stdout.write(JSON.stringify(err.json) + '\n');
      if (err.message) process.stderr.write(err.message + '\n');
      return err.exitCode;
    }
    process.stderr.write(`drugtrace: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 3;
  }
}
