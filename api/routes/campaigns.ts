/**
 * Recall campaigns over HTTP (docs/oversight.md, "Recalls"): `POST /v1/recalls` starts one (a
 * signed campaign, trace/oversight/campaigns.ts signCampaign), `GET /v1/recalls` lists them,
 * `GET /v1/recalls/:id` gives one with its progress now, per ledger entry and per day.
 * Regulators see every campaign; a manufacturer those it started or whose products are all its own.
 */
import type { FastifyInstance } from 'fastify';
import { Plan } from '../../trace/projections.ts';
import { campaignSummary, campaignVisibleTo, listCampaigns, startCampaign, type CampaignSubmission, type CampaignSummary } from '../../trace/oversight/campaigns.ts';
import { campaignProgress, PROGRESS_CATEGORIES } from '../../trace/oversight/campaign-progress.ts';
import { CampaignError, MAX_CAMPAIGN_CODES, MAX_CAMPAIGN_LOTS, RECALL_CLASSES } from '../../trace/oversight/campaign-payload.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, signedFields, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export const CAMPAIGN_ROLES: readonly ApiRole[] = ['manufacturer', 'regulator'];

const COUNTS_SCHEMA = {
  type: 'object',
  required: [...PROGRESS_CATEGORIES],
  properties: Object.fromEntries(PROGRESS_CATEGORIES.map((c) => [c, { type: 'integer' }])),
} as const;

const SUMMARY_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'class', 'reason', 'party', 'startedAt', 'recordedAt', 'lots', 'codes', 'changed'],
  properties: {
    id: { type: 'integer', description: 'the ledger position of the recall entry' },
    kind: { type: 'string', enum: ['recall', 'withdrawal'] },
    class: { type: ['string', 'null'], enum: [...RECALL_CLASSES, null] },
    reason: { type: 'string' },
    party: { type: 'string' },
    startedAt: { type: 'string' },
    recordedAt: { type: 'string' },
    lots: { type: 'array', items: { type: 'object', properties: { product: { type: 'string' }, lot: { type: 'string' } } } },
    codes: { type: 'array', items: { type: 'string' } },
    changed: { type: 'integer' },
  },
} as const;

const POINT_SCHEMA = {
  type: 'object',
  required: ['position', 'at', 'counts'],
  properties: { position: { type: ['integer', 'null'] }, at: { type: 'string' }, counts: COUNTS_SCHEMA },
} as const;

const SUBMISSION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['campaign', 'signer', 'claimedTime', 'signature'],
  properties: {
    campaign: {
      type: 'object',
      additionalProperties: false,
      required: ['reason', 'class'],
      properties: {
        reason: { type: 'string', minLength: 1, maxLength: 2000 },
        class: { type: 'string', enum: [...RECALL_CLASSES] },
        withdrawal: { type: 'boolean' },
        lots: {
          type: 'array',
          maxItems: MAX_CAMPAIGN_LOTS,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['gtin', 'lot'],
            properties: { gtin: { type: 'string', pattern: '^[0-9]{7,14}$' }, lot: { type: 'string', minLength: 1, maxLength: 20 } },
          },
        },
        codes: { type: 'array', maxItems: MAX_CAMPAIGN_CODES, items: { type: 'string', minLength: 1, maxLength: 300 } },
      },
    },
    ...signedFields('base64 Ed25519 signature over the derived recall entry body'),
  },
} as const;

export function campaignRoutes(app: FastifyInstance, ctx: ApiContext): void {
  /** Whether the principal may see this campaign. */
  const visible = (principal: { party: string; role: ApiRole }) => {
    if (principal.role === 'regulator') return () => true;
    const party = new Plan(ctx.db).party(principal.party);
    return (c: CampaignSummary) => campaignVisibleTo(ctx.ledger, c, party, principal.party);
  };

  app.post<{ Body: CampaignSubmission }>(
    '/v1/recalls',
    {
      onRequest: ctx.auth.require(CAMPAIGN_ROLES),
      schema: {
        tags: ['recall'],
        summary: 'start a recall campaign: lots and/or unit codes, reason, class; the holders are notified',
        description: `${rolesNote(CAMPAIGN_ROLES)} The token's party must be signer.party; a manufacturer only for its own products. The signature is Ed25519 over the recall entry body derived from the campaign (trace/oversight/campaigns.ts signCampaign). 201 with the campaign; 200 with duplicate: true for the same signed campaign again.`,
        security: BEARER,
        body: SUBMISSION_SCHEMA,
        response: {
          '2xx': {
            type: 'object',
            required: ['id', 'duplicate', 'changed', 'units', 'notified', 'campaign'],
            properties: {
              id: { type: 'integer' },
              duplicate: { type: 'boolean' },
              changed: { type: 'integer', description: 'units whose state the recall changed' },
              units: { type: 'integer', description: 'units the campaign covers' },
              notified: { type: 'array', items: { type: 'object', properties: { party: { type: 'string' }, units: { type: 'integer' }, dispensed: { type: 'integer' } } } },
              campaign: SUMMARY_SCHEMA,
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      if (request.body.signer.party !== principal.party) {
        throw new ApiError(403, 'AUTH_SIGNER_MISMATCH', `the token is ${principal.party}'s but the campaign is signed as ${request.body.signer.party}`, {
          tokenParty: principal.party,
          signer: request.body.signer.party,
        });
      }
      const started = startCampaign(ctx.ledger, request.body);
      return reply.status(started.duplicate ? 200 : 201).send({ ...started, campaign: campaignSummary(ctx.ledger, started.id) });
    },
  );

  app.get(
    '/v1/recalls',
    {
      onRequest: ctx.auth.require(CAMPAIGN_ROLES),
      schema: {
        tags: ['recall'],
        summary: 'recall campaigns, newest first',
        description: `${rolesNote(CAMPAIGN_ROLES)} A manufacturer sees the campaigns it started and those about its own products only.`,
        security: BEARER,
        response: { 200: { type: 'object', required: ['campaigns'], properties: { campaigns: { type: 'array', items: SUMMARY_SCHEMA } } }, ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ campaigns: listCampaigns(ctx.ledger, { visible: visible(request.principal!) }) }),
  );

  app.get<{ Params: { id: number }; Querystring: { at?: string; maxTransitDays?: number; units?: boolean } }>(
    '/v1/recalls/:id',
    {
      onRequest: ctx.auth.require(CAMPAIGN_ROLES),
      schema: {
        tags: ['recall'],
        summary: 'one campaign and its progress: located, returned, destroyed, dispensed, unaccounted — now, per ledger entry and per day',
        description: `${rolesNote(CAMPAIGN_ROLES)} Definitions in docs/oversight.md. units=true adds one row per unit.`,
        security: BEARER,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { at: { type: 'string', format: 'date-time' }, maxTransitDays: { type: 'number', minimum: 0 }, units: { type: 'boolean' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['campaign', 'at', 'maxTransitDays', 'total', 'counts', 'completion', 'series', 'daily'],
            properties: {
              campaign: SUMMARY_SCHEMA,
              at: { type: 'string' },
              maxTransitDays: { type: 'number' },
              total: { type: 'integer' },
              counts: COUNTS_SCHEMA,
              completion: { type: 'number' },
              units: { type: 'array', items: { type: 'object', additionalProperties: true } },
              series: { type: 'array', items: POINT_SCHEMA },
              daily: { type: 'array', items: POINT_SCHEMA },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const summary = campaignSummary(ctx.ledger, id);
      // A campaign the caller may not see answers like one that does not exist.
      if (!visible(request.principal!)(summary)) throw new CampaignError('RECALL_UNKNOWN_CAMPAIGN', `no recall campaign at ledger position ${id}`, { campaign: id });
      const progress = campaignProgress(ctx.ledger, id, { at: request.query.at, maxTransitDays: request.query.maxTransitDays });
      if (request.query.units === true) return progress;
      const { units: _units, ...rest } = progress;
      return rest;
    },
  );
}
