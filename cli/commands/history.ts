/** `drugtrace history CODE`: the full history of one unit, its containers' events included. */
import type { Command } from 'commander';
import { QueryError, unitHistory, type HistoryEntry, type UnitHistory } from '../../trace/queries/index.ts';
import { CliExit, DB_HELP, EXIT, output, type Output } from '../common.ts';
import { openLedger } from './ledger.ts';
import { USAGE_QUERY_CODES, serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';

/** Malformed input exits 2; a well-formed question whose answer is "not here" exits 1. */
export function queryExit(err: unknown, command: string): never {
  if (err instanceof QueryError) {
    throw new CliExit(USAGE_QUERY_CODES.has(err.code) ? EXIT.usage : EXIT.no, `drugtrace ${command}: ${err.message}`, {
      ok: false,
      error: { code: err.code, message: err.message, details: err.details },
    });
  }
  throw err;
}

/** The last path segment of a party, location or code is what people read; the rest is noise. */
function short(uri: string | null): string {
  if (uri === null) return '-';
  return uri.replace(/^https:\/\/id\.gs1\.org\//, '');
}

export function formatEntry(e: HistoryEntry): string {
  const what = [e.bizStep ?? e.eventType, e.disposition ? `(${e.disposition})` : ''].filter(Boolean).join(' ');
  const via = e.via ? `  via ${short(e.via)}` : '';
  const lineage = e.lineageOf ? `  from ${short(e.lineageOf)}` : '';
  const erroneous = e.erroneous ? `  [declared erroneous at #${e.erroneous.position}${e.erroneous.reason ? `: ${e.erroneous.reason}` : ''}]` : '';
  return `#${e.position}.${e.item}  ${e.eventTime}  ${what.padEnd(30)} ${e.party.padEnd(14)} ${short(e.location)}${via}${lineage}${erroneous}`;
}

export function register(program: Command): void {
  const history = program
    .command('history')
    .description('full history of one unit: its events, its containers\' events while inside, its lineage')
    .argument('<code>', 'the unit: Digital Link, GS1 element string, EPC URN or CN code')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document');
  serverOptions(history).action(async (code: string, opts: { db?: string; json?: boolean } & ServerOptions) => {
    const out = output(opts);
    const client = serverClient(opts, 'history');
    if (client) {
      let answer: UnitHistory;
      try {
        answer = await client.unitHistory(code);
      } catch (err) {
        serverExit(err, 'history');
      }
      printHistory(out, answer);
      return;
    }
    const ledger = openLedger(opts.db, 'history');
    try {
      let history;
      try {
        history = unitHistory(ledger, code);
      } catch (err) {
        queryExit(err, 'history');
      }
      printHistory(out, history);
    } finally {
      ledger.close();
    }
  });
}

function printHistory(out: Output, history: UnitHistory): void {
  if (history.events.length === 0) {
    throw new CliExit(EXIT.no, `drugtrace history: no event recorded for ${history.code}`, { ok: false, ...history });
  }
  out.result({ ok: true, ...history }, () => {
    const u = history.unit;
    const head = u
      ? `${history.code}\n  status ${u.status}${u.recalled && u.status !== 'recalled' ? ' (recalled)' : ''}, custodian ${u.custodian ?? '-'}` +
        `${u.lot ? `, lot ${u.lot}` : ''}${u.expiry ? `, expiry ${u.expiry}` : ''}${u.parent ? `, inside ${short(u.parent)}` : ''}`
      : history.code;
    const lineage = [
      ...history.lineage.inputs.map((l) => `  made from ${short(l.code)} at #${l.position}.${l.item}`),
      ...history.lineage.outputs.map((l) => `  made into ${short(l.code)} at #${l.position}.${l.item}`),
    ];
    const recalls = history.recalls.map((r) => `  lot ${r.kind === 'withdrawal' ? 'withdrawn' : 'recalled'} by ${r.party} at ledger #${r.position}: ${r.reason}`);
    return [head, ...lineage, ...recalls, `${history.events.length} events (ledger position.item):`, ...history.events.map((e) => '  ' + formatEntry(e))].join('\n');
  });
}
