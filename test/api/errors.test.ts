/**
 * The mapping of every domain error to its HTTP status, code and facts (api/errors.ts), the public
 * verdict's field set, and the Accept header reading of the resolver.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ApiError, domainError } from '../../api/errors.ts';
import { prefersHtml, publicPage, publicVerdict } from '../../api/routes/public.ts';
import { GS1Error } from '../../codes/gs1/errors.ts';
import { DigitalLinkError } from '../../codes/gs1/digital-link.ts';
import { CnCodeError } from '../../codes/cn/errors.ts';
import { EpcError } from '../../codes/epc/errors.ts';
import { IdentifierError, canonicalIdentifier } from '../../codes/identifier.ts';
import { LedgerError } from '../../ledger/entry.ts';
import { EpcisError } from '../../trace/epcis/errors.ts';
import { LifecycleError } from '../../trace/lifecycle.ts';
import { TraceError } from '../../trace/rules.ts';
import { QueryError } from '../../trace/queries/errors.ts';
import type { VerifyResult } from '../../trace/queries/verify.ts';
import { SqlError } from '../../schemas/pg/sync-connection.ts';

describe('domainError', () => {
  const table: Array<[string, unknown, number, string, Record<string, unknown> | undefined]> = [
    ['GS1Error', new GS1Error('GS1_TOO_SHORT', 'value is too short', { ai: '01', rule: 'N14', position: 4 }), 400, 'GS1_TOO_SHORT', { ai: '01', rule: 'N14', position: 4 }],
    ['DigitalLinkError', new DigitalLinkError('DL_BAD_BASE', 'no base', 0), 400, 'DL_BAD_BASE', { ai: null, position: 0 }],
    ['CnCodeError', new CnCodeError('CN_LENGTH', '19 digits', { length: 19 }), 400, 'CN_LENGTH', { length: 19 }],
    ['EpcError', new EpcError('EPC_NOT_URN', 'bad', { position: 3 }), 400, 'EPC_NOT_URN', { position: 3 }],
    ['IdentifierError', new IdentifierError('ID_UNRECOGNISED', 'not a code'), 400, 'ID_UNRECOGNISED', undefined],
    ['EpcisError', new EpcisError('EPCIS_NOT_A_DOCUMENT', 'not a document', { path: '/type' }), 400, 'EPCIS_NOT_A_DOCUMENT', { path: '/type' }],
    [
      'LifecycleError',
      new LifecycleError('TRACE_ALREADY_DISPENSED', 'https://id.gs1.org/01/09521234000013/21/1', 'dispense' as never, 'dispensed', 'a unit is dispensed once'),
      409,
      'TRACE_ALREADY_DISPENSED',
      { unit: 'https://id.gs1.org/01/09521234000013/21/1', action: 'dispense', currentStatus: 'dispensed', rule: 'a unit is dispensed once' },
    ],
    ['TraceError (rule refusal)', new TraceError('TRACE_FOREIGN_LOCATION', 'not yours', { party: 'p', location: 'l' }), 422, 'TRACE_FOREIGN_LOCATION', { party: 'p', location: 'l' }],
    ['TraceError (malformed)', new TraceError('TRACE_BAD_SUBMISSION', 'no events'), 400, 'TRACE_BAD_SUBMISSION', undefined],
    ['TraceError (duplicate)', new TraceError('TRACE_DUPLICATE_EVENT', 'seen', { hashId: 'ni:///x' }), 409, 'TRACE_DUPLICATE_EVENT', { hashId: 'ni:///x' }],
    ['QueryError (bad code)', new QueryError('TRACE_QUERY_BAD_CODE', 'bad', { input: 'x' }), 400, 'TRACE_QUERY_BAD_CODE', { input: 'x' }],
    ['QueryError (unknown lot)', new QueryError('TRACE_QUERY_UNKNOWN_LOT', 'no lot', { lot: 'L' }), 404, 'TRACE_QUERY_UNKNOWN_LOT', { lot: 'L' }],
    ['LedgerError (signature)', new LedgerError('LEDGER_BAD_SIGNATURE', 'bad sig', { party: 'p' }), 422, 'LEDGER_BAD_SIGNATURE', { party: 'p' }],
    ['LedgerError (not found)', new LedgerError('LEDGER_NOT_FOUND', 'no', { position: 9 }), 404, 'LEDGER_NOT_FOUND', { position: 9 }],
    ['ApiError', new ApiError(403, 'AUTH_FORBIDDEN', 'no', { role: 'witness' }), 403, 'AUTH_FORBIDDEN', { role: 'witness' }],
    // PostgreSQL's storage faults, as the sync connection reports them (SQLSTATE in `code`); the
    // read-only and connection ones are also provoked on a real server in test/api/postgres.pg.ts.
    ['SqlError 53100 disk_full', new SqlError('could not extend file: No space left on device', '53100'), 507, 'STORAGE_FULL', { sqlstate: '53100' }],
    ['SqlError 25006 read_only_sql_transaction', new SqlError('cannot execute INSERT in a read-only transaction', '25006'), 503, 'STORAGE_READ_ONLY', { sqlstate: '25006' }],
    ['SqlError 57P01 admin_shutdown', new SqlError('terminating connection due to administrator command', '57P01'), 503, 'STORAGE_UNAVAILABLE', { sqlstate: '57P01' }],
    ['SqlError 08006 connection_failure', new SqlError('connection failure', '08006'), 503, 'STORAGE_UNAVAILABLE', { sqlstate: '08006' }],
    ['SqlError ECONNREFUSED', new SqlError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 503, 'STORAGE_UNAVAILABLE', { sqlstate: 'ECONNREFUSED' }],
    ['SqlError without SQLSTATE (connection lost)', new SqlError('Connection terminated unexpectedly', undefined), 503, 'STORAGE_UNAVAILABLE', { sqlstate: null }],
  ];
  for (const [name, err, status, code, details] of table) {
    it(`${name} → ${status} ${code}`, () => {
      const mapped = domainError(err);
      expect(mapped?.status).toBe(status);
      expect(mapped?.body.error.code).toBe(code);
      expect(mapped?.body.error.details).toEqual(details);
      expect(mapped?.body.error.message).not.toMatch(/\[[A-Z_]+/);
    });
  }

  it('maps what the real parsers throw', () => {
    let thrown: unknown;
    try {
      canonicalIdentifier('(01)09521234000014(21)X');
    } catch (err) {
      thrown = err;
    }
    const mapped = domainError(thrown);
    expect(mapped?.status).toBe(400);
    expect(mapped?.body.error.code).toMatch(/^GS1_/);
    expect(mapped?.body.error.details).toMatchObject({ ai: '01' });
  });

  it('leaves operator faults and unknown errors to the 500 path (null)', () => {
    expect(domainError(new LedgerError('LEDGER_OPERATOR_KEY', 'key file unreadable'))).toBeNull();
    expect(domainError(new Error('boom'))).toBeNull();
    // A PostgreSQL error that is not about the storage (here a unique violation) is a bug: 500.
    expect(domainError(new SqlError('duplicate key value violates unique constraint', '23505'))).toBeNull();
    expect(domainError('a string')).toBeNull();
  });
});

describe('publicVerdict', () => {
  const verifyResult = fc.record({
    verdict: fc.constantFrom('ok_to_dispense', 'do_not_dispense', 'unknown_code'),
    code: fc.string(),
    genuine: fc.boolean(),
    status: fc.constantFrom(null, 'active', 'received', 'in_transit', 'dispensed', 'recalled', 'expired', 'stolen', 'destroyed'),
    recalled: fc.boolean(),
    expiry: fc.option(fc.constant('2028-02-29')),
    product: fc.option(fc.string()),
    lot: fc.option(fc.string()),
    custodian: fc.option(fc.string()),
    location: fc.option(fc.string()),
    dispensed: fc.constant(null),
    reasons: fc.array(fc.record({ code: fc.constantFrom('recalled', 'in_transit', 'stolen', 'container'), message: fc.string() })),
    issuance: fc.constant(null),
    at: fc.constant('2026-03-20T00:00:00.000Z'),
  }) as fc.Arbitrary<VerifyResult>;

  it('never carries commercial data, and says "genuine" only for a genuine, unrecalled, unexpired pack', () => {
    fc.assert(
      fc.property(verifyResult, (r) => {
        const v = publicVerdict(r);
        expect(Object.keys(v).sort()).toEqual(['answer', 'code', 'expiry', 'genuine', 'message', 'recalled', 'status']);
        if (v.answer === 'genuine') expect(r.genuine && !r.recalled && r.status !== 'expired').toBe(true);
        if (!r.genuine) expect(v.answer).toBe('unknown');
      }),
    );
  });

  it('escapes the code in the HTML page', () => {
    const page = publicPage({ code: '<script>alert(1)</script>', answer: 'unknown', genuine: false, status: null, expiry: null, recalled: false, message: 'x & y' });
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('x &amp; y');
  });
});

describe('prefersHtml', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['*/*', false],
    ['application/json', false],
    ['text/html', true],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', true],
    ['application/json, text/html;q=0.5', false],
    ['text/html;q=0.9, application/json;q=0.8', true],
    ['text/html;q=0', false],
  ];
  for (const [accept, html] of cases) it(`${JSON.stringify(accept)} → ${html ? 'HTML' : 'JSON'}`, () => expect(prefersHtml(accept)).toBe(html));
});
