/**
 * Products, their coding rules and code issuance (codes/issuance):
 *
 *   POST /v1/products               register a product variety and its coding rule
 *   GET  /v1/products, /:id         products with their rule and where issuance stands
 *   POST /v1/products/:id/codes     issue N new unguessable codes; NDJSON stream when asked
 *
 * A manufacturer works only on products its trace registration's GS1 prefixes (or CN product
 * prefixes) cover; the admin registers any and regulators read all. Issued codes go only to the
 * product's owner: they are what a counterfeiter would want.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  CODING_SCHEMES,
  PACKAGING_LEVELS,
  PRODUCT_CATEGORIES,
  assertCanIssue,
  getProduct,
  guessReport,
  issueCodes,
  listProducts,
  normaliseGtin,
  recordsOf,
  registerProduct,
  type Product,
  type ProductInput,
} from '../../codes/issuance/index.ts';
import { ownsProduct } from '../../trace/parties.ts';
import { Plan } from '../../trace/projections.ts';
import type { ApiRole } from '../auth.ts';
import { BEARER, ERROR_RESPONSES, rolesNote, type ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { NDJSON, lines, sendNdjson, wantsNdjson } from '../plugins/ndjson.ts';

export const PRODUCT_WRITE_ROLES: readonly ApiRole[] = ['manufacturer', 'admin'];
export const PRODUCT_READ_ROLES: readonly ApiRole[] = ['manufacturer', 'regulator', 'admin'];
export const ISSUE_ROLES: readonly ApiRole[] = ['manufacturer'];

/** Codes per request; a JSON answer (not NDJSON) carries at most JSON_ISSUE_LIMIT of them. */
export const MAX_ISSUE_COUNT = 1_000_000;
export const JSON_ISSUE_LIMIT = 10_000;

const RULE_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    scheme: { type: 'string' },
    serialAlphabetName: { type: 'string' },
    serialAlphabet: { type: 'string' },
    serialLength: { type: 'integer' },
    plannedVolume: { type: 'integer' },
    checkScheme: { type: ['string', 'null'] },
    issuedCount: { type: 'integer' },
  },
} as const;

const PRODUCT_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'gtin', 'cnResourceCode', 'category', 'packagingLevel', 'rule', 'guess'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    gtin: { type: ['string', 'null'] },
    cnResourceCode: { type: ['string', 'null'] },
    category: { type: 'string' },
    packagingLevel: { type: 'string' },
    storageMinC: { type: ['number', 'null'] },
    storageMaxC: { type: ['number', 'null'] },
    createdAt: { type: 'string' },
    rule: RULE_SCHEMA,
    guess: {
      type: 'object',
      description: 'the serial space and the chance of guessing a valid code now and at the planned volume',
      properties: {
        serialSpace: { type: 'string' },
        capacity: { type: 'string' },
        plannedVolume: { type: 'integer' },
        issued: { type: 'integer' },
        guessProbability: { type: 'number' },
        plannedGuessProbability: { type: 'number' },
      },
    },
  },
} as const;

const CODE_RECORD = {
  type: 'object',
  required: ['serial'],
  properties: { serial: { type: 'string' }, elementString: { type: 'string' }, digitalLink: { type: 'string' }, cnCode: { type: 'string' } },
} as const;

const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } } as const;

function view(product: Product) {
  return { ...product, guess: guessReport(product.rule) };
}

export function productRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const store = ctx.ledger.store;

  /** True when the caller may see or change `product` (or a product with these keys). */
  const owns = (request: FastifyRequest, keys: { gtin: string | null; cnResourceCode: string | null }): boolean => {
    const principal = request.principal!;
    if (principal.role !== 'manufacturer') return true;
    const party = new Plan(ctx.db).party(principal.party);
    if (!party) return false;
    if (keys.gtin && ownsProduct(party, `https://id.gs1.org/01/${keys.gtin}`)) return true;
    return keys.cnResourceCode !== null && party.cnPrefixes.some((p) => keys.cnResourceCode!.startsWith(p));
  };
  const forbid = (request: FastifyRequest, what: string): never => {
    const principal = request.principal!;
    throw new ApiError(403, 'AUTH_FORBIDDEN', `${principal.party} is not the owner of ${what}`, { party: principal.party, role: principal.role, product: what });
  };
  /** A product the caller may see; a stranger's product is 404 like a missing one, so ids do not leak. */
  const visible = (request: FastifyRequest, id: number): Product => {
    const product = getProduct(store, id);
    if (!owns(request, product)) throw new ApiError(404, 'NOT_FOUND', `no product ${id} of yours`, { productId: id });
    return product;
  };

  app.post<{ Body: ProductInput }>(
    '/v1/products',
    {
      onRequest: ctx.auth.require(PRODUCT_WRITE_ROLES),
      schema: {
        tags: ['products'],
        summary: 'register a product variety with its coding rule (refused when the rule cannot keep codes unguessable at the planned volume)',
        description: `${rolesNote(PRODUCT_WRITE_ROLES)} A manufacturer only for a GTIN (or CN product code) its registered prefixes cover (AUTH_FORBIDDEN).`,
        security: BEARER,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'category'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            gtin: { type: 'string', pattern: '^([0-9]{8}|[0-9]{12,14})$' },
            cnResourceCode: { type: 'string', pattern: '^8[0-9]{6}$' },
            category: { type: 'string', enum: [...PRODUCT_CATEGORIES] },
            packagingLevel: { type: 'string', enum: [...PACKAGING_LEVELS] },
            storageMinC: { type: 'number' },
            storageMaxC: { type: 'number' },
            rule: {
              type: 'object',
              additionalProperties: false,
              properties: {
                scheme: { type: 'string', enum: [...CODING_SCHEMES] },
                serialAlphabet: { type: 'string', minLength: 1, maxLength: 100 },
                serialLength: { type: 'integer', minimum: 1, maximum: 20 },
                plannedVolume: { type: 'integer', minimum: 1 },
                checkScheme: { type: 'string', minLength: 1, maxLength: 100 },
              },
            },
          },
        },
        response: { 201: PRODUCT_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const gtin = request.body.gtin === undefined ? null : normaliseGtin(request.body.gtin);
      if (!owns(request, { gtin, cnResourceCode: request.body.cnResourceCode ?? null })) forbid(request, gtin ? `GTIN ${gtin}` : `CN product ${request.body.cnResourceCode}`);
      return reply.status(201).send(view(registerProduct(store, request.body)));
    },
  );

  app.get(
    '/v1/products',
    {
      onRequest: ctx.auth.require(PRODUCT_READ_ROLES),
      schema: {
        tags: ['products'],
        summary: 'registered products with their coding rules (a manufacturer sees its own)',
        description: rolesNote(PRODUCT_READ_ROLES),
        security: BEARER,
        response: { 200: { type: 'object', required: ['products'], properties: { products: { type: 'array', items: PRODUCT_SCHEMA } } }, ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ products: listProducts(store).filter((p) => owns(request, p)).map(view) }),
  );

  app.get<{ Params: { id: number } }>(
    '/v1/products/:id',
    {
      onRequest: ctx.auth.require(PRODUCT_READ_ROLES),
      schema: {
        tags: ['products'],
        summary: 'one product with its coding rule and issuance state',
        description: `${rolesNote(PRODUCT_READ_ROLES)} Another manufacturer's product is NOT_FOUND.`,
        security: BEARER,
        params: ID_PARAMS,
        response: { 200: PRODUCT_SCHEMA, ...ERROR_RESPONSES },
      },
    },
    async (request) => view(visible(request, request.params.id)),
  );

  app.post<{ Params: { id: number }; Body: { count: number } }>(
    '/v1/products/:id/codes',
    {
      onRequest: ctx.auth.require(ISSUE_ROLES),
      schema: {
        tags: ['products'],
        summary: 'issue `count` new random serials for a product; with Accept: application/x-ndjson they stream, one code per line',
        description: `${rolesNote(ISSUE_ROLES)} Only for the product's owner. Codes are committed before they are sent (a dropped connection burns serials, never sends one the ledger does not know). JSON answers carry at most ${JSON_ISSUE_LIMIT} codes; ask for NDJSON for more (up to ${MAX_ISSUE_COUNT}). ISSUE_CAPACITY when the rule's capacity would be passed.`,
        security: BEARER,
        params: ID_PARAMS,
        body: { type: 'object', additionalProperties: false, required: ['count'], properties: { count: { type: 'integer', minimum: 1, maximum: MAX_ISSUE_COUNT } } },
        produces: ['application/json', NDJSON],
        response: {
          200: {
            type: 'object',
            required: ['productId', 'count', 'issuedTotal', 'guessProbability', 'codes'],
            properties: {
              productId: { type: 'integer' },
              count: { type: 'integer' },
              issuedTotal: { type: 'integer' },
              guessProbability: { type: 'number' },
              codes: { type: 'array', items: CODE_RECORD },
            },
          },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const product = visible(request, request.params.id);
      const { count } = request.body;
      // Refused before anything is written or any header sent.
      assertCanIssue(product, count);
      if (wantsNdjson(request)) {
        const batches = issueCodes(store, product.id, count, { batchSize: 1000 });
        function* out(): Generator<string> {
          for (const batch of batches) yield* lines(recordsOf(batch.product, batch.serials, batch.cnCodes), 1000);
        }
        return sendNdjson(reply, out());
      }
      if (count > JSON_ISSUE_LIMIT) {
        throw new ApiError(400, 'REQUEST_INVALID', `body/count: ${count} codes are more than a JSON answer carries (${JSON_ISSUE_LIMIT}); send Accept: ${NDJSON}`, {
          path: 'body/count',
          rule: 'maximum',
          limit: JSON_ISSUE_LIMIT,
        });
      }
      const codes = [];
      let last: { issuedTotal: number; guessProbability: number } = { issuedTotal: product.rule.issuedCount, guessProbability: 0 };
      for (const batch of issueCodes(store, product.id, count)) {
        codes.push(...recordsOf(batch.product, batch.serials, batch.cnCodes));
        last = batch;
      }
      return { productId: product.id, count, issuedTotal: last.issuedTotal, guessProbability: last.guessProbability, codes };
    },
  );
}
