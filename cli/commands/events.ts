/**
 * `drugtrace events [filters] [--epcis]`: the EPCIS query subset over captured events, printed as
 * lines, JSON, or an EPCIS 2.0 document. `drugtrace trace forward|backward CODE`: what a code
 * held or went into, and what it was in or made from.
 */
import type { Command } from 'commander';
import { exportEpcisDocument, queryEvents, traceBackward, traceForward, type EpcisQueryParams, type QueriedEvent, type TraceResult } from '../../trace/queries/index.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { queryExit } from './history.ts';
import { openLedger } from './ledger.ts';

interface EventsOptions {
  type?: string[];
  bizStep?: string[];
  disposition?: string[];
  from?: string;
  until?: string;
  epc?: string[];
  anyEpc?: string[];
  parent?: string[];
  location?: string[];
  readPoint?: string[];
  limit?: string;
  includeErroneous?: boolean;
  epcis?: boolean;
  db?: string;
  json?: boolean;
}

/** The command line's filters as EPCIS query parameters. */
export function eventsParams(opts: EventsOptions): EpcisQueryParams {
  const params: EpcisQueryParams = {};
  if (opts.type) params.eventType = opts.type;
  if (opts.bizStep) params.EQ_bizStep = opts.bizStep;
  if (opts.disposition) params.EQ_disposition = opts.disposition;
  if (opts.from) params.GE_eventTime = opts.from;
  if (opts.until) params.LT_eventTime = opts.until;
  if (opts.epc) params.MATCH_epc = opts.epc;
  if (opts.anyEpc) params.MATCH_anyEPC = opts.anyEpc;
  if (opts.parent) params.MATCH_parentID = opts.parent;
  if (opts.location) params.EQ_bizLocation = opts.location;
  if (opts.readPoint) params.EQ_readPoint = opts.readPoint;
  if (opts.limit !== undefined) {
    if (!/^\d+$/.test(opts.limit)) {
      throw new CliExit(EXIT.usage, `drugtrace events: --limit ${JSON.stringify(opts.limit)} is not a whole number`, {
        ok: false,
        error: { code: 'CLI_BAD_OPTION', message: '--limit is not a whole number', details: { option: '--limit', value: opts.limit } },
      });
    }
    params.eventCountLimit = Number(opts.limit);
  }
  if (opts.includeErroneous) params.includeErroneous = true;
  return params;
}

function short(uri: string): string {
  return uri.replace(/^https:\/\/id\.gs1\.org\//, '');
}

function traceText(r: TraceResult): string {
  if (r.links.length === 0) return `${r.code}: nothing ${r.direction === 'forward' ? 'inside it or made from it' : 'it was in or made from'}`;
  return [
    `${r.code} (${r.direction})`,
    ...r.links.map(
      (l) =>
        `${'  '.repeat(l.depth)}${l.relation.replace('_', ' ')} ${short(l.code)}  from #${l.since.position}.${l.since.item}${l.until ? ` to #${l.until.position}.${l.until.item}` : l.relation.startsWith('contain') ? ' (still)' : ''}`,
    ),
  ].join('\n');
}

export function register(program: Command): void {
  const events = program
    .command('events')
    .description('captured events matching EPCIS query filters, as lines, JSON or an EPCIS 2.0 document')
    .option('--type <type...>', 'ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent')
    .option('--biz-step <step...>', 'CBV bizStep (shipping, cbv:BizStep-shipping, or its URI)')
    .option('--disposition <disposition...>', 'CBV disposition')
    .option('--from <time>', 'eventTime at or after this ISO 8601 time')
    .option('--until <time>', 'eventTime before this ISO 8601 time')
    .option('--epc <code...>', 'events naming the code in epcList or childEPCs (MATCH_epc)')
    .option('--any-epc <code...>', 'events naming the code anywhere (MATCH_anyEPC)')
    .option('--parent <code...>', 'events with this parentID (MATCH_parentID)')
    .option('--location <gln...>', 'bizLocation (GLN, sgln URN or Digital Link)')
    .option('--read-point <gln...>', 'readPoint')
    .option('--limit <n>', 'at most this many events, first in ledger order')
    .option('--include-erroneous', 'also events declared erroneous')
    .option('--epcis', 'print the events as one EPCIS 2.0 document')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nWith --server: GET /v1/events (the EPCIS query interface). A regulator sees every event; any other\n' +
        "party's token sees only the events that party signed.",
    );
  serverOptions(events).action(async (opts: EventsOptions & ServerOptions) => {
    const params = eventsParams(opts);
    const out = output(opts);
    let events: QueriedEvent[];
    const client = serverClient(opts, 'events');
    if (client) {
      events = [];
      try {
        for await (const e of client.eventsStream(params)) {
          events.push({ position: e.position, item: e.item, hashId: e.hashId, eventType: e.eventType, eventTime: e.eventTime, bizStep: e.bizStep, disposition: e.disposition, party: e.party, erroneous: e.erroneous, source: e.event });
        }
      } catch (err) {
        serverExit(err, 'events');
      }
    } else {
      const ledger = openLedger(opts.db, 'events');
      try {
        events = queryEvents(ledger, params);
      } catch (err) {
        queryExit(err, 'events');
      } finally {
        ledger.close();
      }
    }
    if (opts.epcis) {
      process.stdout.write(JSON.stringify(exportEpcisDocument(events)) + '\n');
      return;
    }
    out.result({ ok: true, count: events.length, events }, () =>
      [
        `${events.length} event(s)`,
        ...events.map((e) => `  #${e.position}.${e.item}  ${e.eventTime}  ${e.eventType.padEnd(18)} ${(e.bizStep ?? '-').padEnd(14)} ${(e.disposition ?? '-').padEnd(16)} ${e.party}${e.erroneous ? '  [erroneous]' : ''}`),
      ].join('\n'),
    );
  });

  const trace = program.command('trace').description('forward and backward trace of a code through containers and transformations');
  for (const direction of ['forward', 'backward'] as const) {
    trace
      .command(direction)
      .description(direction === 'forward' ? 'what the code held over time and what was made from it' : 'what the code was in over time and what it was made from')
      .argument('<code>', 'a unit or container: Digital Link, element string, EPC URN or CN code')
      .option('--db <file|url>', DB_HELP)
      .option('--json', 'print one JSON document')
      .action((code: string, opts: { db?: string; json?: boolean }) => {
        const out = output(opts);
        const ledger = openLedger(opts.db, `trace ${direction}`);
        let result: TraceResult;
        try {
          result = direction === 'forward' ? traceForward(ledger, code) : traceBackward(ledger, code);
        } catch (err) {
          queryExit(err, `trace ${direction}`);
        } finally {
          ledger.close();
        }
        out.result({ ok: true, ...result }, () => traceText(result));
      });
  }
}
