/**
 * `drugtrace recall report --lot LOT [--gtin GTIN] [--json|--csv]`: the recall path of a lot —
 * where every unit went, who holds it, what was dispensed where and when, what is unaccounted for.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { LedgerError, signDocument } from '../../ledger/entry.ts';
import { recallPayload, recordRecall } from '../../trace/capture.ts';
import { DEFAULT_MAX_TRANSIT_DAYS, gtin14, recallReport, type RecallReport } from '../../trace/queries/index.ts';
import { TraceError } from '../../trace/rules.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { queryExit } from './history.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';
import { signCampaign } from '../../trace/oversight/campaigns.ts';
import { RECALL_CLASSES } from '../../trace/oversight/campaign-payload.ts';
import { ledgerExit, openLedger } from './ledger.ts';
import { defaultPartyKeyFile, readPartyKeyFile } from './party.ts';
import { campaignExit, registerCampaignCommands } from './recall-campaigns.ts';

export const RECALL_CSV_HEADER = 'code,status,recalled,custodian,location,path,pending_to,dispensed_party,dispensed_location,dispensed_at,last_event_at,unaccounted';

function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per unit, in code order. */
export function recallCsv(report: RecallReport): string {
  const rows = report.units.map((u) =>
    [
      u.code,
      u.status,
      u.recalled,
      u.custodian,
      u.location,
      u.path.join(' > '),
      u.pendingTo,
      u.dispensed?.party ?? null,
      u.dispensed?.location ?? null,
      u.dispensed?.at ?? null,
      u.lastEventAt,
      u.unaccounted,
    ]
      .map(csvField)
      .join(','),
  );
  return [RECALL_CSV_HEADER, ...rows].join('\n');
}

export function recallText(r: RecallReport): string {
  const counts = (c: Record<string, number>) =>
    Object.entries(c)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const lines = [
    `Lot ${r.lot} of ${r.gtin}${r.expiry ? `, expiry ${r.expiry}` : ''}: ${r.total} units (report at ${r.at})`,
    r.recalls.length
      ? r.recalls.map((x) => `  ${x.kind === 'withdrawal' ? 'withdrawn' : 'recalled'} by ${x.party} at ledger #${x.position}: ${x.reason}`).join('\n')
      : '  not recalled (yet)',
    `  by status: ${counts(r.byStatus)}; recall flag on ${r.recalledUnits}`,
    'Held by (last custodian):',
    ...r.byParty.map((p) => `  ${p.party.padEnd(14)} ${String(p.total).padStart(6)}  ${counts(p.byStatus)}${p.name ? `  — ${p.name}` : ''}`),
    `Dispensed (${r.dispensed.length}):`,
    ...r.dispensed.map((d) => `  ${d.at}  ${d.party.padEnd(14)} ${d.code}`),
    `Unaccounted for (${r.unaccounted.length}):`,
    ...r.unaccounted.map((u) => `  ${u.reason.padEnd(19)} ${u.code}  custodian ${u.custodian ?? '-'}${u.pendingTo ? ` → ${u.pendingTo}` : ''}${u.lastEventAt ? `, last seen ${u.lastEventAt}` : ''}`),
    'Distribution (units moved between parties):',
    ...r.graph.edges.map((e) => `  ${e.from} → ${e.to}: ${e.units}${e.pending ? ' (in transit)' : ''}`),
  ];
  return lines.join('\n');
}

/** `recall record`: a lot recall (or withdrawal) signed with the party's key file. */
function registerRecord(recall: Command): void {
  const record = recall
    .command('record')
    .description("recall (or withdraw) a lot, signed with the product owner's or a regulator's key")
    .requiredOption('--gtin <gtin>', 'GTIN (or CN product resource code) of the product')
    .requiredOption('--lot <lot>', 'lot number')
    .requiredOption('--reason <text>', 'why the lot is recalled')
    .requiredOption('--party <id>', 'the registered party recalling it')
    .option('--withdrawal', 'withdraw the product lot from the market instead of recalling it')
    .option('--key <file>', "the party's key file (default <db>.keys/<party>.key)")
    .option('--db <file|url>', DB_HELP)
    .option('--class <class>', 'with --server: the recall class, I, II or III (the server records a recall campaign)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      "\nWith --server (the party's own manufacturer or regulator token): signed here with the key file and sent as\n" +
        'a one-lot recall campaign (POST /v1/recalls; --class required); the holders are notified by the server.',
    );
  serverOptions(record).action(async (opts: { gtin: string; lot: string; reason: string; party: string; withdrawal?: boolean; key?: string; db?: string; json?: boolean; class?: string } & ServerOptions) => {
      const out = output(opts);
      let product: string;
      try {
        product = /^8\d{6}$/.test(opts.gtin.trim()) ? opts.gtin.trim() : gtin14(opts.gtin);
      } catch (err) {
        queryExit(err, 'recall record');
      }
      const keyFile = resolve(opts.key ?? defaultPartyKeyFile(opts.db, opts.party));
      const key = readPartyKeyFile(keyFile, 'recall record');
      if (key.party !== opts.party) {
        throw new CliExit(EXIT.usage, `drugtrace recall record: ${keyFile} holds the key of ${key.party}, not ${opts.party}`, {
          ok: false,
          error: { code: 'CLI_BAD_KEY', message: `the key file belongs to ${key.party}` },
        });
      }
      const client = serverClient(opts, 'recall record');
      if (client) {
        if (!opts.class || !(RECALL_CLASSES as readonly string[]).includes(opts.class)) {
          throw new CliExit(EXIT.usage, `drugtrace recall record: --server needs --class ${RECALL_CLASSES.join('|')}`, {
            ok: false,
            error: { code: 'CLI_BAD_OPTION', message: `--server needs --class ${RECALL_CLASSES.join('|')}`, details: { option: '--class', value: opts.class ?? null } },
          });
        }
        let submission: ReturnType<typeof signCampaign>;
        try {
          submission = signCampaign({ reason: opts.reason, class: opts.class, withdrawal: Boolean(opts.withdrawal), lots: [{ gtin: product, lot: opts.lot }] }, key);
        } catch (err) {
          campaignExit(err, 'recall record');
        }
        let started: Awaited<ReturnType<typeof client.startRecall>>;
        try {
          started = await client.startRecall(submission);
        } catch (err) {
          serverExit(err, 'recall record');
        }
        const what = opts.withdrawal ? 'withdrawn' : 'recalled';
        out.result({ ok: true, product, lot: opts.lot, position: started.id, units: started.changed, duplicate: started.duplicate }, () => `lot ${opts.lot} of ${product} ${what} at ledger position ${started.id}: ${started.changed} unit(s) marked${started.duplicate ? ' (already recorded)' : ''}; ${started.notified.length} holder(s) notified`);
        return;
      }
      const ledger = openLedger(opts.db, 'recall record');
      try {
        let recorded: ReturnType<typeof recordRecall>;
        try {
          const signed = signDocument(
            { kind: 'recall', signer: { party: key.party, keyId: key.keyId }, payload: recallPayload(product, opts.lot, opts.reason, Boolean(opts.withdrawal)) },
            key.secretKey,
            { sha256, ed25519 },
          );
          recorded = recordRecall(ledger, signed);
        } catch (err) {
          if (err instanceof TraceError) {
            const exit = err.code === 'TRACE_BAD_RECALL' ? EXIT.usage : EXIT.no;
            throw new CliExit(exit, `drugtrace recall record: refused: ${err.message}`, { ok: false, error: { code: err.code, message: err.message, details: err.details } });
          }
          if (err instanceof LedgerError) ledgerExit(err, 'recall record');
          throw err;
        }
        const what = opts.withdrawal ? 'withdrawn' : 'recalled';
        out.result({ ok: true, product, lot: opts.lot, ...recorded }, () => `lot ${opts.lot} of ${product} ${what} at ledger position ${recorded.position}: ${recorded.units} unit(s) marked${recorded.duplicate ? ' (already recorded)' : ''}`);
      } finally {
        ledger.close();
      }
    });
}

export function register(program: Command): void {
  const recall = program.command('recall').description('recalls: campaigns (start, list, status), record a lot recall, report where a lot went');
  registerRecord(recall);
  registerCampaignCommands(recall);
  const report = recall
    .command('report')
    .description('recall path of a lot: every unit, where it went, who holds it, what was dispensed, what is unaccounted')
    .requiredOption('--lot <lot>', 'lot number')
    .option('--gtin <gtin>', 'GTIN (or CN product resource code) of the product; needed when the lot number is not unique')
    .option('--at <time>', 'report as of this ISO 8601 time (default now)')
    .option('--max-transit-days <n>', `days in transit after which a unit is unaccounted for (default ${DEFAULT_MAX_TRANSIT_DAYS})`)
    .option('--csv', 'print one CSV row per unit')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(report).action(async (opts: { lot: string; gtin?: string; at?: string; maxTransitDays?: string; csv?: boolean; db?: string; json?: boolean } & ServerOptions) => {
    const usage = (message: string, option: string, value: unknown): never => {
      throw new CliExit(EXIT.usage, `drugtrace recall report: ${message}`, { ok: false, error: { code: 'CLI_BAD_OPTION', message, details: { option, value } } });
    };
    if (opts.csv && opts.json) usage('--csv and --json exclude each other', '--csv', true);
    if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at))) usage(`--at ${JSON.stringify(opts.at)} is not an ISO 8601 time`, '--at', opts.at);
    let maxTransitDays: number | undefined;
    if (opts.maxTransitDays !== undefined) {
      maxTransitDays = Number(opts.maxTransitDays);
      if (!/^\d+(\.\d+)?$/.test(opts.maxTransitDays)) usage(`--max-transit-days ${JSON.stringify(opts.maxTransitDays)} is not a number of days`, '--max-transit-days', opts.maxTransitDays);
    }
    const out = output(opts);
    let report: RecallReport;
    const client = serverClient(opts, 'recall report');
    if (client) {
      let gtin: string | undefined;
      try {
        // The server takes a GTIN-14 only; the local mode's other spellings are normalised here.
        gtin = opts.gtin === undefined ? undefined : gtin14(opts.gtin);
      } catch (err) {
        queryExit(err, 'recall report');
      }
      try {
        report = await client.recallReport({ lot: opts.lot, gtin, at: opts.at, maxTransitDays });
      } catch (err) {
        serverExit(err, 'recall report');
      }
    } else {
      const ledger = openLedger(opts.db, 'recall report');
      try {
        report = recallReport(ledger, { lot: opts.lot, gtin: opts.gtin, at: opts.at, maxTransitDays });
      } catch (err) {
        queryExit(err, 'recall report');
      } finally {
        ledger.close();
      }
    }
    if (opts.csv) {
      process.stdout.write(recallCsv(report) + '\n');
      return;
    }
    out.result({ ok: true, ...report }, () => recallText(report));
  });
}
