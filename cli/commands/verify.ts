/** `drugtrace verify CODE`: the dispenser's verdict. Exit 0 only when it is ok to dispense. */
import type { Command } from 'commander';
import { verifyUnit, type VerifyResult } from '../../trace/queries/index.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { queryExit } from './history.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';
import { openLedger } from './ledger.ts';

const VERDICT_TEXT = {
  ok_to_dispense: 'OK TO DISPENSE',
  do_not_dispense: 'DO NOT DISPENSE',
  unknown_code: 'UNKNOWN CODE (suspected counterfeit)',
} as const;

export function register(program: Command): void {
  const verify = program
    .command('verify')
    .description("the dispenser's verdict on one pack: genuine, status, expiry, recall, custodian")
    .argument('<code>', 'the pack: Digital Link, GS1 element string, EPC URN or CN code')
    .option('--at <time>', 'judge expiry at this ISO 8601 time (default now)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(verify).action(async (code: string, opts: { db?: string; json?: boolean; at?: string } & ServerOptions) => {
    const out = output(opts);
    if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at))) {
      throw new CliExit(EXIT.usage, `drugtrace verify: --at ${JSON.stringify(opts.at)} is not an ISO 8601 time`, {
        ok: false,
        error: { code: 'CLI_BAD_OPTION', message: '--at is not an ISO 8601 time', details: { option: '--at', value: opts.at } },
      });
    }
    let result: VerifyResult;
    const client = serverClient(opts, 'verify');
    if (client) {
      try {
        result = await client.verifyUnit(code, opts.at);
      } catch (err) {
        serverExit(err, 'verify');
      }
    } else {
      const ledger = openLedger(opts.db, 'verify');
      try {
        result = verifyUnit(ledger, code, opts.at);
      } catch (err) {
        queryExit(err, 'verify');
      } finally {
        ledger.close();
      }
    }
    const text = () =>
      [
        `${VERDICT_TEXT[result.verdict]}: ${result.code}`,
        ...result.reasons.map((r) => `  - ${r.message}`),
        result.genuine
          ? `  status ${result.status}${result.recalled ? ', recalled' : ''}, lot ${result.lot ?? '-'}, expiry ${result.expiry ?? '-'}, custodian ${result.custodian ?? '-'}`
          : `  issuance record: ${result.issuance}`,
      ].join('\n');
    if (result.verdict !== 'ok_to_dispense') {
      if (!opts.json) process.stdout.write(text() + '\n');
      throw new CliExit(EXIT.no, '', { ok: false, ...result });
    }
    out.result({ ok: true, ...result }, text);
  });
}
