/**
 * GET /v1/events: the EPCIS 2.0 query interface (trace/queries/epcis-query.ts, SimpleEventQuery
 * parameter names) answering an EPCIS 2.0 query document, or NDJSON of the events with their
 * ledger coordinates when asked (Accept: application/x-ndjson).
 *
 * Visibility: a regulator queries every event; any other party only the events it signed itself
 * (a competitor's shipments never appear, whatever the parameters say).
 */
import type { FastifyInstance } from 'fastify';
import { exportEpcisDocument } from '../../trace/queries/export.ts';
import { EPCIS_QUERY_PARAMETERS, queryEvents, type EpcisQueryParams } from '../../trace/queries/epcis-query.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { NDJSON, lines, sendNdjson, wantsNdjson } from '../plugins/ndjson.ts';

export const EVENTS_ROLES: readonly ApiRole[] = ['manufacturer', 'distributor', 'dispenser', 'regulator'];
/** Events per answer when no eventCountLimit is given (and the most one answer carries). */
export const MAX_QUERY_EVENTS = 100_000;

const LIST = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 512 }, maxItems: 100 } as const;

export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: EpcisQueryParams }>(
    '/v1/events',
    {
      onRequest: ctx.auth.require(EVENTS_ROLES),
      schema: {
        tags: ['events'],
        summary: 'EPCIS 2.0 event query (SimpleEventQuery parameters); an EPCISQueryDocument, or NDJSON of events',
        description: `${rolesNote(EVENTS_ROLES)} Regulators see every event; other parties only the events they signed. A parameter given several times matches any of its values; parameters combine with AND. Results in ledger order, at most ${MAX_QUERY_EVENTS} (eventCountLimit for fewer).`,
        security: BEARER,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            eventType: { type: 'array', items: { type: 'string', enum: ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'] }, maxItems: 5 },
            EQ_bizStep: LIST,
            EQ_disposition: LIST,
            GE_eventTime: { type: 'string', format: 'date-time' },
            LT_eventTime: { type: 'string', format: 'date-time' },
            MATCH_epc: LIST,
            MATCH_anyEPC: LIST,
            MATCH_parentID: LIST,
            MATCH_inputEPC: LIST,
            MATCH_outputEPC: LIST,
            EQ_bizLocation: LIST,
            EQ_readPoint: LIST,
            eventCountLimit: { type: 'integer', minimum: 1, maximum: MAX_QUERY_EVENTS },
            includeErroneous: { type: 'boolean' },
          },
        },
        produces: ['application/json', NDJSON],
        response: {
          200: {
            type: 'object',
            required: ['@context', 'type', 'schemaVersion', 'creationDate', 'epcisBody'],
            properties: {
              '@context': { type: 'array', items: {} },
              type: { type: 'string', enum: ['EPCISQueryDocument'] },
              schemaVersion: { type: 'string' },
              creationDate: { type: 'string' },
              epcisBody: {
                type: 'object',
                properties: {
                  queryResults: {
                    type: 'object',
                    properties: {
                      queryName: { type: 'string' },
                      resultsBody: { type: 'object', properties: { eventList: { type: 'array', items: { type: 'object', additionalProperties: true } } } },
                    },
                  },
                },
              },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const params: EpcisQueryParams = {};
      for (const name of EPCIS_QUERY_PARAMETERS) {
        const value = request.query[name];
        if (value !== undefined && name !== 'eventCountLimit') (params as Record<string, unknown>)[name] = value;
      }
      const limit = request.query.eventCountLimit ?? MAX_QUERY_EVENTS;
      // Visibility is part of the query, so the limit counts only what the caller may see.
      const events = queryEvents(ctx.ledger, { ...params, eventCountLimit: limit }, principal.role === 'regulator' ? {} : { party: principal.party });
      if (wantsNdjson(request)) {
        return sendNdjson(
          reply,
          lines(events.map((e) => ({ position: e.position, item: e.item, hashId: e.hashId, eventType: e.eventType, eventTime: e.eventTime, bizStep: e.bizStep, disposition: e.disposition, party: e.party, erroneous: e.erroneous, event: e.source }))),
        );
      }
      const document = exportEpcisDocument(events);
      return {
        '@context': document['@context'],
        type: 'EPCISQueryDocument',
        schemaVersion: document.schemaVersion,
        creationDate: document.creationDate,
        epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: document.epcisBody.eventList } } },
      };
    },
  );
}
