/**
 * `drugtrace capture FILE --party ID`: sign an EPCIS 2.0 document with the party's key file and
 * capture it (one ledger entry plus projections, or nothing on any refusal).
 * `drugtrace rebuild`: recompute the trace projections from the ledger.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { LedgerError } from '../../ledger/entry.ts';
import { captureDocument, signCapture, type CaptureReceipt, type CaptureSubmission } from '../../trace/capture.ts';
import type { CaptureResult } from '../../api/client.ts';
import { EpcisError } from '../../trace/epcis/index.ts';
import { LifecycleError } from '../../trace/lifecycle.ts';
import { rebuildProjections } from '../../trace/projections.ts';
import { TraceError } from '../../trace/rules.ts';
import { CliExit, DB_HELP, EXIT, output, type Output } from '../common.ts';
import { ledgerExit, openLedger } from './ledger.ts';
import { defaultPartyKeyFile, readPartyKeyFile } from './party.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';

function printReceipt(out: Output, receipt: CaptureReceipt): void {
  out.result({ ok: true, ...receipt }, () =>
    [`captured ${receipt.events.length} event(s) at position ${receipt.position}${receipt.duplicate ? ' (already captured)' : ''}`, ...receipt.events.map((e) => `  ${e.index}\t${e.hashId}`)].join('\n'),
  );
}

/** A refused document is a "no" (exit 1) with the error's code and facts. */
function refused(err: unknown): never {
  if (err instanceof LifecycleError) {
    throw new CliExit(EXIT.no, `drugtrace capture: refused: ${err.message}`, {
      ok: false,
      error: { code: err.code, message: err.message, details: { unit: err.unit, action: err.action, currentStatus: err.currentStatus, rule: err.rule } },
    });
  }
  if (err instanceof TraceError || err instanceof EpcisError) {
    throw new CliExit(EXIT.no, `drugtrace capture: refused: ${err.message}`, { ok: false, error: { code: err.code, message: err.message, details: err.details } });
  }
  if (err instanceof LedgerError) ledgerExit(err, 'capture');
  throw err;
}

export function register(program: Command): void {
  const capture = program
    .command('capture')
    .description('sign an EPCIS 2.0 JSON document with a party key and capture it under the lifecycle rules')
    .argument('<file>', 'EPCIS 2.0 JSON(-LD) document')
    .requiredOption('--party <id>', 'the registered party recording the events')
    .option('--key <file>', "the party's key file (default <db>.keys/<party>.key)")
    .option('--db <file|url>', DB_HELP)
    .option('--idempotency-key <key>', 'with --server: the Idempotency-Key to send (to retry, pass the same key and --claimed-time)')
    .option('--claimed-time <time>', 'the RFC 3339 time signed into the capture (default now)')
    .option('--json', 'print one JSON document');
  serverOptions(capture).action(async (file: string, opts: { party: string; key?: string; db?: string; json?: boolean; idempotencyKey?: string; claimedTime?: string } & ServerOptions) => {
    const out = output(opts);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliExit(EXIT.usage, `drugtrace capture: cannot read ${file}: ${(err as Error).message}`, { ok: false, error: { code: 'CLI_BAD_INPUT', message: `cannot read ${file}` } });
    }
    const keyFile = resolve(opts.key ?? defaultPartyKeyFile(opts.db, opts.party));
    const key = readPartyKeyFile(keyFile, 'capture');
    if (key.party !== opts.party) {
      throw new CliExit(EXIT.usage, `drugtrace capture: ${keyFile} holds the key of ${key.party}, not ${opts.party}`, {
        ok: false,
        error: { code: 'CLI_BAD_KEY', message: `the key file belongs to ${key.party}` },
      });
    }
    if (opts.claimedTime !== undefined && Number.isNaN(Date.parse(opts.claimedTime))) {
      throw new CliExit(EXIT.usage, `drugtrace capture: --claimed-time ${JSON.stringify(opts.claimedTime)} is not an RFC 3339 time`, {
        ok: false,
        error: { code: 'CLI_BAD_OPTION', message: '--claimed-time is not an RFC 3339 time', details: { option: '--claimed-time', value: opts.claimedTime } },
      });
    }
    const claimedTime = opts.claimedTime ?? new Date().toISOString();
    const client = serverClient(opts, 'capture');
    if (client) {
      let submission: CaptureSubmission;
      try {
        // Signed here: the key never leaves this machine, the server checks the signature.
        submission = signCapture(text, key, claimedTime);
      } catch (err) {
        refused(err);
      }
      let result: CaptureResult;
      try {
        result = await client.capture(submission, { idempotencyKey: opts.idempotencyKey });
      } catch (err) {
        serverExit(err, 'capture');
      }
      const { idempotencyKey, replayed, ...receipt } = result;
      // On stderr, so stdout stays the local mode's: what a retry needs to be recognised as one.
      out.info(`idempotency key ${idempotencyKey}, claimed time ${claimedTime}${replayed ? ' (replayed: the first answer to this key)' : ''}; retry with --idempotency-key ${idempotencyKey} --claimed-time ${claimedTime}`);
      printReceipt(out, receipt);
      return;
    }
    const ledger = openLedger(opts.db, 'capture');
    try {
      let receipt: ReturnType<typeof captureDocument>;
      try {
        receipt = captureDocument(ledger, signCapture(text, key, claimedTime));
      } catch (err) {
        refused(err);
      }
      printReceipt(out, receipt);
    } finally {
      ledger.close();
    }
  });

  program
    .command('rebuild')
    .description('recompute the trace projections from the ledger (replays every entry)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((opts: { db?: string; json?: boolean }) => {
      const out = output(opts);
      const ledger = openLedger(opts.db, 'rebuild');
      try {
        const { entries } = rebuildProjections(ledger);
        out.result({ ok: true, entries }, () => `rebuilt the trace projections from ${entries} ledger entries`);
      } finally {
        ledger.close();
      }
    });
}
