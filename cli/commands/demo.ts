/**
 * `drugtrace demo [--db FILE] [--seed S] [--json]`: builds a whole supply chain in a new ledger
 * (MAH → 2 distributors → 5 pharmacies; pallets, cases, units; a return, a theft, a recall) and
 * says where to look.
 */
import { existsSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { Ledger, defaultKeyFile } from '../../ledger/ledger.ts';
import { DEMO_ORIGIN, runDemo, type DemoResult } from '../../trace/demo.ts';
import { CliExit, EXIT, output, resolveDbFile } from '../common.ts';
import { defaultPartyKeyFile, writePartyKeyFile } from './party.ts';
import { demoGuideFile, writeDemoGuide } from '../demo-session.ts';

function guide(r: DemoResult): string {
  const db = `--db ${r.dbFile}`;
  const { lookAt } = r;
  return [
    `Built the demo chain in ${r.dbFile} (seed ${JSON.stringify(r.seed)}): ${r.ledgerSize} ledger entries.`,
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
    `Party keys are in ${r.dbFile}.keys/: record more as any party with drugtrace capture FILE --party pharmacy-1 ${db}`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('a whole supply chain, end to end, with a return, a theft and a recall, in a new ledger')
    .option('--db <file>', 'new SQLite database file to build it in (must not exist)')
    .option('--seed <text>', 'derive keys and serials from this (default "drugtrace-demo")')
    .option('--replace', 'if FILE holds an earlier demo ledger, delete it and build afresh (refused for any other ledger)')
    .option('--json', 'print one JSON document')
    .action((opts: { db?: string; seed?: string; replace?: boolean; json?: boolean }) => {
      const out = output(opts);
      const file = resolveDbFile(opts.db);
      if (existsSync(file) && opts.replace) removeDemoLedger(file);
      if (existsSync(file)) {
        throw new CliExit(EXIT.usage, `drugtrace demo: ${file} already exists; the demo builds a new ledger (pass --db NEWFILE)`, {
          ok: false,
          error: { code: 'CLI_DB_EXISTS', message: `${file} already exists`, details: { file } },
        });
      }
      const result = runDemo(file, {
        seed: opts.seed,
        // Saved where `drugtrace capture --party ID` looks, so the demo parties can record more events.
        onPartyKey: (key) => writePartyKeyFile(defaultPartyKeyFile(file, key.party), key),
      });
      // Kept next to the database, so `drugtrace serve --demo` (npm start) can serve this chain and say where to look.
      writeDemoGuide(result);
      out.result({ ok: true, ...result }, () => guide(result));
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
