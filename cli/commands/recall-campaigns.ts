/**
 * `drugtrace recall start|list|status`: recall campaigns, on the local database or a server
 * (--server; trace/oversight/campaigns.ts, docs/oversight.md).
 *
 *   recall start --party ID --class I|II|III --reason TEXT (--lot LOT... [--gtin GTIN] | --code CODE...) [--withdrawal] [--key FILE]
 *   recall list
 *   recall status ID [--at TIME] [--max-transit-days N] [--series | --daily] [--units]
 *
 * `start` signs with the party's key file (default <db>.keys/<party>.key), also when it sends the
 * campaign to a server; there each --lot needs --gtin (the lot table is the server's). Exit 1 for a refusal
 * (RECALL_NOT_OWN_PRODUCT, RECALL_UNKNOWN_LOT, RECALL_ALREADY_RECALLED…) or an unknown campaign,
 * 2 for bad options (RECALL_BAD_CAMPAIGN).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { LedgerError } from '../../ledger/entry.ts';
import { CampaignError, listCampaigns, signCampaign, startCampaign, type CampaignSummary } from '../../trace/oversight/campaigns.ts';
import { campaignProgress, type CampaignProgress, type ProgressPoint } from '../../trace/oversight/campaign-progress.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';
import { ledgerExit, openLedger } from './ledger.ts';
import { defaultPartyKeyFile, readPartyKeyFile } from './party.ts';

/** A campaign refused by the rules or malformed (RECALL_BAD_CAMPAIGN exits 2), as the local mode reports it. */
export function campaignExit(err: unknown, command: string): never {
  if (err instanceof CampaignError) {
    throw new CliExit(err.code === 'RECALL_BAD_CAMPAIGN' ? EXIT.usage : EXIT.no, `drugtrace ${command}: refused: ${err.message} [${err.code}]`, {
      ok: false,
      error: { code: err.code, message: err.message, details: err.details },
    });
  }
  if (err instanceof LedgerError) ledgerExit(err, command);
  throw err;
}

function describe(c: CampaignSummary): string {
  const what = [...c.lots.map((l) => `lot ${l.lot} of ${l.product}`), ...(c.codes.length ? [`${c.codes.length} unit code(s)`] : [])].join(', ');
  return `#${c.id}  ${c.kind === 'withdrawal' ? 'withdrawal' : 'recall'}${c.class ? ` class ${c.class}` : ''} by ${c.party} at ${c.startedAt}: ${what} — ${c.reason}`;
}

function countsLine(c: Record<string, number>): string {
  return `located ${c.located}, returned ${c.returned}, destroyed ${c.destroyed}, dispensed ${c.dispensed}, unaccounted ${c.unaccounted}`;
}

function progressText(p: CampaignProgress, opts: { series?: boolean; daily?: boolean; units?: boolean }): string {
  const lines = [
    describe(p.campaign),
    `${p.total} unit(s) at ${p.at} (in transit over ${p.maxTransitDays} days counts as unaccounted): ${countsLine(p.counts)}; ${(p.completion * 100).toFixed(1)}% returned or destroyed`,
  ];
  const points = (title: string, list: ProgressPoint[]) => [title, ...list.map((s) => `  ${s.at}${s.position !== null ? `  #${s.position}` : ''}  ${countsLine(s.counts)}`)];
  if (opts.series) lines.push(...points('Per ledger entry:', p.series));
  if (opts.daily) lines.push(...points('Per day (end of day, UTC):', p.daily));
  if (opts.units) lines.push('Units:', ...p.units.map((u) => `  ${u.category.padEnd(11)} ${u.code}  ${u.status}${u.custodian ? ` at ${u.custodian}` : ''}${u.pendingTo ? ` → ${u.pendingTo}` : ''}${u.reason ? ` (${u.reason})` : ''}`));
  return lines.join('\n');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCampaignCommands(recall: Command): void {
  const start = recall
    .command('start')
    .description('start a recall campaign (lots or unit codes, class, reason), signed with the party key; holders are notified')
    .requiredOption('--party <id>', 'the manufacturer (own products) or regulator starting it')
    .requiredOption('--class <class>', 'I, II or III')
    .requiredOption('--reason <text>', 'why')
    .option('--lot <lot>', 'a lot to recall (repeatable)', collect)
    .option('--gtin <gtin>', 'the product of the lots (needed when a lot number is not unique)')
    .option('--code <code>', 'a single unit to recall (repeatable; any code form)', collect)
    .option('--withdrawal', 'withdraw from the market instead of recalling')
    .option('--key <file>', "the party's key file (default <db>.keys/<party>.key)")
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(start).action(async (opts: { party: string; class: string; reason: string; lot?: string[]; gtin?: string; code?: string[]; withdrawal?: boolean; key?: string; db?: string; json?: boolean } & ServerOptions) => {
    const out = output(opts);
    const keyFile = resolve(opts.key ?? defaultPartyKeyFile(opts.db, opts.party));
    const key = readPartyKeyFile(keyFile, 'recall start');
    if (key.party !== opts.party) {
      throw new CliExit(EXIT.usage, `drugtrace recall start: ${keyFile} holds the key of ${key.party}, not ${opts.party}`, { ok: false, error: { code: 'CLI_BAD_KEY', message: `the key file belongs to ${key.party}` } });
    }
    const print = (started: { id: number; duplicate: boolean; units: number; changed: number; notified: Array<{ party: string; units: number; dispensed?: number }> }, summary: CampaignSummary) =>
      out.result({ ok: true, ...started, campaign: summary }, () =>
        [
          `${started.duplicate ? 'already recorded: ' : 'started '}${describe(summary)}`,
          `  ${started.units} unit(s) covered, ${started.changed} changed`,
          ...started.notified.map((n) => `  notified ${n.party}: ${n.units} unit(s) held${n.dispensed ? `, ${n.dispensed} dispensed` : ''}`),
        ].join('\n'),
      );
    const client = serverClient(opts, 'recall start');
    if (client) {
      if (opts.lot?.length && !opts.gtin) {
        throw new CliExit(EXIT.usage, 'drugtrace recall start: with --server, --lot needs --gtin', { ok: false, error: { code: 'CLI_BAD_OPTION', message: 'with --server, --lot needs --gtin', details: { option: '--gtin', value: null } } });
      }
      const lots = (opts.lot ?? []).map((lot) => ({ gtin: opts.gtin!, lot }));
      let submission: ReturnType<typeof signCampaign>;
      try {
        // Signing derives the entry body, which checks the campaign: a malformed one never leaves here.
        submission = signCampaign({ reason: opts.reason, class: opts.class, withdrawal: Boolean(opts.withdrawal), lots, codes: opts.code ?? [] }, key);
      } catch (err) {
        campaignExit(err, 'recall start');
      }
      try {
        const { campaign, ...started } = await client.startRecall(submission);
        print(started, campaign);
      } catch (err) {
        serverExit(err, 'recall start');
      }
      return;
    }
    const ledger = openLedger(opts.db, 'recall start');
    try {
      const products = (lot: string): string => {
        if (opts.gtin) return opts.gtin;
        const rows = ledger.store.sql.prepare('SELECT product FROM trace_lots WHERE lot = ?').pluck().all(lot) as string[];
        if (rows.length === 1) return rows[0];
        throw new CampaignError(rows.length === 0 ? 'RECALL_UNKNOWN_LOT' : 'RECALL_BAD_CAMPAIGN', rows.length === 0 ? `no unit of lot ${lot} was ever commissioned` : `lot ${lot} exists for ${rows.length} products (${rows.join(', ')}): give --gtin`, {
          lot,
          field: 'gtin',
        });
      };
      let started: ReturnType<typeof startCampaign>;
      try {
        const lots = (opts.lot ?? []).map((lot) => ({ gtin: products(lot), lot }));
        started = startCampaign(ledger, signCampaign({ reason: opts.reason, class: opts.class, withdrawal: Boolean(opts.withdrawal), lots, codes: opts.code ?? [] }, key));
      } catch (err) {
        campaignExit(err, 'recall start');
      }
      print(started, listCampaigns(ledger).find((c) => c.id === started.id)!);
    } finally {
      ledger.close();
    }
  });

  const list = recall
    .command('list')
    .description('recall campaigns, newest first (with --server, a manufacturer sees its own and those about its products)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(list).action(async (opts: { db?: string; json?: boolean } & ServerOptions) => {
    const out = output(opts);
    const print = (campaigns: CampaignSummary[]) => out.result({ ok: true, campaigns }, () => (campaigns.length ? campaigns.map(describe).join('\n') : 'no recall campaigns'));
    const client = serverClient(opts, 'recall list');
    if (client) {
      try {
        print((await client.recalls()).campaigns);
      } catch (err) {
        serverExit(err, 'recall list');
      }
      return;
    }
    const ledger = openLedger(opts.db, 'recall list');
    try {
      print(listCampaigns(ledger));
    } finally {
      ledger.close();
    }
  });

  const status = recall
    .command('status')
    .description('progress of a campaign: located, returned, destroyed, dispensed, unaccounted — now, and over time')
    .argument('<id>', 'the campaign id (its ledger position, from recall list)')
    .option('--at <time>', 'judge at this ISO 8601 time (default now)')
    .option('--max-transit-days <n>', 'days in transit after which a unit is unaccounted for (default 7)')
    .option('--series', 'also print the counts after each ledger entry since the start')
    .option('--daily', 'also print the counts at the end of each day since the start')
    .option('--units', 'also print every unit and its category')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document (always with series, daily and units)');
  serverOptions(status).action(async (id: string, opts: { at?: string; maxTransitDays?: string; series?: boolean; daily?: boolean; units?: boolean; db?: string; json?: boolean } & ServerOptions) => {
    const usage = (message: string, option: string, value: unknown): never => {
      throw new CliExit(EXIT.usage, `drugtrace recall status: ${message}`, { ok: false, error: { code: 'CLI_BAD_OPTION', message, details: { option, value } } });
    };
    if (!/^\d+$/.test(id)) usage(`campaign id ${JSON.stringify(id)} is not a ledger position`, 'id', id);
    if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at))) usage(`--at ${JSON.stringify(opts.at)} is not an ISO 8601 time`, '--at', opts.at);
    if (opts.maxTransitDays !== undefined && !/^\d+(\.\d+)?$/.test(opts.maxTransitDays)) usage(`--max-transit-days ${JSON.stringify(opts.maxTransitDays)} is not a number of days`, '--max-transit-days', opts.maxTransitDays);
    const out = output(opts);
    const query = { at: opts.at, maxTransitDays: opts.maxTransitDays === undefined ? undefined : Number(opts.maxTransitDays) };
    const client = serverClient(opts, 'recall status');
    if (client) {
      try {
        const progress = await client.recallCampaign(Number(id), { ...query, units: Boolean(opts.json || opts.units) });
        out.result({ ok: true, ...progress }, () => progressText({ ...progress, units: progress.units ?? [] }, opts));
      } catch (err) {
        serverExit(err, 'recall status');
      }
      return;
    }
    const ledger = openLedger(opts.db, 'recall status');
    try {
      let progress: CampaignProgress;
      try {
        progress = campaignProgress(ledger, Number(id), query);
      } catch (err) {
        campaignExit(err, 'recall status');
      }
      out.result({ ok: true, ...progress }, () => progressText(progress, opts));
    } finally {
      ledger.close();
    }
  });
}
