/**
 * `drugtrace demo [--db FILE] [--seed S] [--json]`: builds a whole supply chain in a new ledger
 * (MAH → 2 distributors → 5 pharmacies; pallets, cases, units; a return, a theft, a recall) and
 * says where to look.
 */
import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { Ledger, defaultKeyFile } from '../../ledger/ledger.ts';
import { DEMO_ORIGIN, runDemo, type DemoResult } from '../../trace/demo.ts';
import { isPostgresUrl } from '../../schemas/store.ts';
import { CliExit, EXIT, holdsLedger, output, printableLocation, resolveDbFile, sidecarBase } from '../common.ts';
import { defaultPartyKeyFile, writePartyKeyFile } from './party.ts';
import { demoGuideFile, writeDemoGuide } from '../demo-session.ts';

function guide(r: DemoResult): string {
  // A URL is not repeated on the command lines (it may carry a password): they use DATABASE_URL.
  const db = isPostgresUrl(r.dbFile) ? '' : `--db ${r.dbFile}`;
  const { lookAt } = r;
  return [
    `Built the demo chain in ${printableLocation(r.dbFile)} (seed ${JSON.stringify(r.seed)}): ${r.ledgerSize} ledger entries.`,
    `Parties: ${r.parties.map((p) => `${p.id} (${p.role})`).join(', ')}`,
    `Products: ${r.products.map((p) => `${p.name} GTIN ${p.gtin}`).join('; ')}`,
    `Lots: ${r.lots.map((l) => `${l.lot} (${l.size} units, expiry ${l.expiry})`).join(', ')}`,
    'Steps:',
    ...r.steps.map((s) => `  #${s.position}  ${s.party.padEnd(11)} ${s.label}${s.events ? ` (${s.events} event${s.events === 1 ? '' : 's'})` : ''}`),
    'Where to look:',
    `  drugtrace history ${lookAt.history} ${db}`,
    `  drugtrace verify ${lookAt.okToDispense} ${db}          # ok to dispense`,
    `  drugtrace verify ${lookAt.dispensed} ${db}          # already dispensed, and recalled`,
    `  drugtrace verify ${lookAt.recalled} ${db}          # recalled`,
    `  drugtrace verify ${lookAt.expired} ${db}          # expired after 2026-05-31`,
    `  drugtrace verify ${lookAt.issuedNotCommissioned} ${db}          # issued, never commissioned`,
    `  drugtrace verify ${lookAt.neverIssued} ${db}          # never issued: counterfeit suspect`,
    `  drugtrace recall report --gtin ${lookAt.recallLot.gtin} --lot ${lookAt.recallLot.lot} ${db}`,
    ...(db ? [] : ['(the commands below read the database from DATABASE_URL)']),
    `Party keys are in ${sidecarBase(r.dbFile)}.keys/: record more as any party with drugtrace capture FILE --party pharmacy-1 ${db}`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('a whole supply chain, end to end, with a return, a theft and a recall, in a new ledger')
    .option('--db <file|url>', 'where to build it: a new SQLite file (must not exist) or an empty PostgreSQL database (postgres:// URL; default $DATABASE_URL, else ./data/drugtrace.db)')
    .option('--seed <text>', 'derive keys and serials from this (default "drugtrace-demo")')
    .option('--replace', 'if FILE holds an earlier demo ledger, delete it and build afresh (refused for any other ledger)')
    .option('--json', 'print one JSON document')
    .action((opts: { db?: string; seed?: string; replace?: boolean; json?: boolean }) => {
      const out = output(opts);
      const file = resolveDbFile(opts.db);
      const shown = printableLocation(file);
      if (opts.replace && isPostgresUrl(file)) {
        throw new CliExit(EXIT.usage, `drugtrace demo: --replace deletes files and cannot empty a PostgreSQL database; drop and create ${shown} instead`, {
          ok: false,
          error: { code: 'CLI_CANNOT_REPLACE', message: '--replace works on SQLite files only', details: { file: shown } },
        });
      }
      if (opts.replace && holdsLedger(file)) removeDemoLedger(file);
      if (holdsLedger(file)) {
        throw new CliExit(EXIT.usage, `drugtrace demo: ${shown} already holds a ledger; the demo builds a new one (pass --db NEWFILE, or an empty database)`, {
          ok: false,
          error: { code: 'CLI_DB_EXISTS', message: `${shown} already holds a ledger`, details: { file: shown } },
        });
      }
      const result = runDemo(file, {
        seed: opts.seed,
        // Saved where `drugtrace capture --party ID` looks, so the demo parties can record more events.
        onPartyKey: (key) => writePartyKeyFile(defaultPartyKeyFile(file, key.party), key),
      });
      // Kept next to the database, so `drugtrace serve --demo` (npm start) can serve this chain and say where to look.
      writeDemoGuide(result);
      out.result({ ok: true, ...result, dbFile: printableLocation(result.dbFile) }, () => guide(result));
    });
}

/**
 * Deletes a ledger that the demo built (database, WAL, operator key, party keys). Anything else is
 * refused: `--replace` must never be a way to lose a real ledger.
 */
function removeDemoLedger(file: string): void {
  let origin: string | undefined;
  try {
    const ledger = Ledger.open(file);
    origin = ledger.origin;
    ledger.close();
  } catch {
    origin = undefined;
  }
  if (origin !== DEMO_ORIGIN) {
    throw new CliExit(EXIT.usage, `drugtrace demo: ${file} is not a demo ledger (origin ${origin ?? 'unreadable'}); refusing to replace it`, {
      ok: false,
      error: { code: 'CLI_NOT_A_DEMO_LEDGER', message: `${file} is not a demo ledger`, details: { file, origin: origin ?? null } },
    });
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`, defaultKeyFile(file), `${file}.keys`, demoGuideFile(file)]) rmSync(path, { recursive: true, force: true });
}
