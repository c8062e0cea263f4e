/**
 * GET /v1/recalls/report?gtin=&lot=: the recall path of a lot (trace/queries/recall.ts), for a
 * regulator or for the manufacturer that owns the product (by its registered GS1 prefixes); one
 * JSON document, or NDJSON lines (a 100,000-unit lot is tens of megabytes as one document).
 */
import type { FastifyInstance } from 'fastify';
import { Plan } from '../../trace/projections.ts';
import { ownsProduct } from '../../trace/parties.ts';
import { recallReport, type RecallReport } from '../../trace/queries/index.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { lines, sendNdjson, wantsNdjson } from '../plugins/ndjson.ts';

export const RECALL_REPORT_ROLES: readonly ApiRole[] = ['regulator', 'manufacturer'];

const REPORT_SCHEMA = {
  type: 'object',
  required: ['gtin', 'lot', 'at', 'total', 'byStatus', 'units'],
  properties: {
    gtin: { type: 'string' },
    lot: { type: 'string' },
    expiry: { type: ['string', 'null'] },
    at: { type: 'string' },
    recalls: { type: 'array', items: { type: 'object', additionalProperties: true } },
    total: { type: 'integer' },
    byStatus: { type: 'object', additionalProperties: { type: 'integer' } },
    recalledUnits: { type: 'integer' },
    byParty: { type: 'array', items: { type: 'object', additionalProperties: true } },
    units: { type: 'array', items: { type: 'object', additionalProperties: true } },
    dispensed: { type: 'array', items: { type: 'object', additionalProperties: true } },
    unaccounted: { type: 'array', items: { type: 'object', additionalProperties: true } },
    graph: { type: 'object', additionalProperties: true },
  },
} as const;

/** A report as NDJSON values: the summary first, then the three unit lists, one unit a line, each tagged with its `kind`. */
function* reportLines(report: RecallReport): Generator<Record<string, unknown>> {
  const { units, dispensed, unaccounted, ...summary } = report;
  yield { kind: 'report', ...summary };
  for (const u of units) yield { kind: 'unit', ...u };
  for (const d of dispensed) yield { kind: 'dispensed', ...d };
  for (const u of unaccounted) yield { kind: 'unaccounted', ...u };
}

export function recallRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { gtin?: string; lot: string; at?: string; maxTransitDays?: number } }>(
    '/v1/recalls/report',
    {
      onRequest: ctx.auth.require(RECALL_REPORT_ROLES),
      schema: {
        tags: ['recall'],
        summary: 'recall path of a lot: every unit, where it went, where it is, what was dispensed, what is unaccounted for',
        description:
          `${rolesNote(RECALL_REPORT_ROLES)} A manufacturer only for its own products (AUTH_FORBIDDEN otherwise). ` +
          'With `Accept: application/x-ndjson`, the same report as lines: first `{ "kind": "report", … }` (everything but the unit lists), then one line per unit (`"kind": "unit"`), per dispensed unit (`"dispensed"`) and per unaccounted unit (`"unaccounted"`).',
        security: BEARER,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['lot'],
          properties: {
            gtin: { type: 'string', pattern: '^[0-9]{14}$' },
            lot: { type: 'string', minLength: 1, maxLength: 20 },
            at: { type: 'string', format: 'date-time' },
            maxTransitDays: { type: 'number', minimum: 0 },
          },
        },
        response: { 200: REPORT_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const { gtin, lot, at, maxTransitDays } = request.query;
      const ownerCheck = (product: string) => {
        if (principal.role === 'regulator') return;
        const party = new Plan(ctx.db).party(principal.party);
        if (!party || !ownsProduct(party, `https://id.gs1.org/01/${product}`)) {
          throw new ApiError(403, 'AUTH_FORBIDDEN', `${principal.party} is not the owner of product ${product}`, { party: principal.party, gtin: product, role: principal.role });
        }
      };
      // With the GTIN given, refuse before reading the lot, so a stranger cannot learn which lots exist.
      if (gtin !== undefined) ownerCheck(gtin);
      const report = recallReport(ctx.ledger, { gtin, lot, at, maxTransitDays });
      ownerCheck(report.gtin);
      if (wantsNdjson(request)) return sendNdjson(reply, lines(reportLines(report)));
      return report;
    },
  );
}
