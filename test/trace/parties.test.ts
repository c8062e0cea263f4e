import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ed25519 } from '../../ledger/crypto-node.ts';
import { Ledger } from '../../ledger/ledger.ts';
import fc from 'fast-check';
import { canonicalIdentifier, describeIdentifier } from '../../codes/identifier.ts';
import { canonicalLocation, isSscc, locationKeys, ownsProduct, partyFromPayload, productOf, registerTraceParty, validatePartyInput } from '../../trace/parties.ts';
import { gln, gtin, refusal, sgtin, sscc } from './helpers/chain.ts';

const G = gln('0614141', '00001');

describe('validatePartyInput', () => {
  const ok = { party: 'acme', role: 'manufacturer', name: 'Acme Pharma', locations: [G], prefixes: ['0614141'] };

  it('canonicalises locations: a bare GLN, an sgln URN and a Digital Link give the same identifier', () => {
    expect(canonicalLocation(G)).toBe(`https://id.gs1.org/414/${G}`);
    expect(canonicalLocation('urn:epc:id:sgln:0614141.00001.0')).toBe(`https://id.gs1.org/414/${G}`);
    expect(canonicalLocation(`https://example.com/414/${G}`)).toBe(`https://id.gs1.org/414/${G}`);
    expect(canonicalLocation('urn:epc:id:pgln:0614141.00001')).toBe(`https://id.gs1.org/417/${G}`);
    expect(validatePartyInput({ ...ok, locations: [G, `https://id.gs1.org/414/${G}`] }).locations).toEqual([`https://id.gs1.org/414/${G}`]);
  });

  it('matches an sgln with an extension to its registered GLN', () => {
    expect(locationKeys(`https://id.gs1.org/414/${G}/254/dock7`)).toEqual([`https://id.gs1.org/414/${G}/254/dock7`, `https://id.gs1.org/414/${G}`]);
  });

  const cases: Array<[string, object, string]> = [
    ['an unknown role', { role: 'wizard' }, 'role'],
    ['an empty name', { name: '  ' }, 'name'],
    ['no location', { locations: [] }, 'locations'],
    ['a GLN with a bad check digit', { locations: ['0614141000010'] }, 'locations'],
    ['a location that is not a GLN', { locations: [sscc('0614141', '000000001')] }, 'locations'],
    ['a prefix that is not digits', { prefixes: ['06141x1'] }, 'prefixes'],
    ['a CN prefix not starting with 8', { cnPrefixes: ['123'] }, 'cnPrefixes'],
  ];
  for (const [what, change, field] of cases) {
    it(`refuses ${what} (TRACE_BAD_REGISTRATION, field ${field})`, () => {
      const err = refusal(() => validatePartyInput({ ...ok, ...change } as typeof ok));
      expect([err.code, err.details.field]).toEqual(['TRACE_BAD_REGISTRATION', field]);
    });
  }
});

describe('ownsProduct', () => {
  const acme = { prefixes: ['0614141'], cnPrefixes: ['81234'] };
  it('matches GTINs by company prefix after the indicator digit, whole GTINs, SSCCs and CN product codes', () => {
    expect(ownsProduct(acme, sgtin(gtin('0614141', '10734'), '1'))).toBe(true);
    expect(ownsProduct(acme, sgtin(gtin('0614141', '10734', '5'), '1'))).toBe(true);
    expect(ownsProduct(acme, sgtin(gtin('0614142', '10734'), '1'))).toBe(false);
    expect(ownsProduct({ prefixes: [gtin('0614142', '10734')], cnPrefixes: [] }, sgtin(gtin('0614142', '10734'), '1'))).toBe(true);
    expect(ownsProduct(acme, sscc('0614141', '000000001'))).toBe(true);
    expect(ownsProduct(acme, sscc('0614149', '000000001'))).toBe(false);
    expect(ownsProduct(acme, 'https://example.com/not-a-code')).toBe(false);
  });
});

describe('productOf', () => {
  it('agrees with describeIdentifier on canonical identifiers (read by shape) and on other forms', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{7}$/), fc.stringMatching(/^[0-9]{5}$/), fc.constantFrom('0', '1', '5'), fc.stringMatching(/^[A-Za-z0-9]{1,20}$/), (cp, item, ind, serial) => {
        const g = gtin(cp, item, ind);
        for (const code of [sgtin(g, serial), `https://id.gs1.org/01/${g}/10/${serial}`, `https://id.gs1.org/01/${g}`]) {
          expect(productOf(code).product).toBe((describeIdentifier(code) as { gtin: string }).gtin);
        }
      }),
      { numRuns: 200 },
    );
    expect(productOf(canonicalIdentifier('urn:epc:id:sgtin:0614141.010734.7'))).toEqual({ product: gtin('0614141', '10734'), kind: 'sgtin' });
    expect(productOf('urn:epc:id:sgtin:0614141.010734.7')).toEqual({ product: gtin('0614141', '10734'), kind: 'sgtin' });
    expect(productOf(sscc('0614141', '000000001'))).toEqual({ product: null, kind: 'sscc' });
    expect(isSscc(sscc('0614141', '000000001'))).toBe(true);
    expect(productOf('urn:example:x')).toEqual({ product: null, kind: 'other' });
  });
});

describe('partyFromPayload (projection reading)', () => {
  it('never throws: unknown shapes become role other with no locations', () => {
    expect(partyFromPayload({ party: 'x' })).toEqual({ party: 'x', role: 'other', name: 'x', locations: [], prefixes: [], cnPrefixes: [] });
    expect(partyFromPayload({ party: 'x', role: 'pharmacy', locations: ['garbage', G], prefixes: ['bad', '0614141'] })).toMatchObject({
      role: 'pharmacy',
      locations: [`https://id.gs1.org/414/${G}`],
      prefixes: ['0614141'],
    });
  });
});

describe('registerTraceParty', () => {
  let ledger: Ledger;
  beforeEach(() => {
    ledger = Ledger.init(':memory:', { origin: 'drugtrace.test/log' });
  });
  afterEach(() => ledger.close());

  it('writes the registration, the key and the projection rows together', () => {
    const key = ed25519.publicKey(ed25519.generateSecretKey());
    const r = registerTraceParty(ledger, { party: 'acme', role: 'manufacturer', name: 'Acme', locations: [G], prefixes: ['0614141'] }, key);
    expect(ledger.get(r.position).entry.body).toMatchObject({ kind: 'party_registration', payload: { party: 'acme', role: 'manufacturer', locations: [`https://id.gs1.org/414/${G}`] } });
    expect(ledger.key('acme', r.keyId!)?.status).toBe('active');
    const db = ledger.store.sql;
    expect(db.prepare('SELECT party, role, name, registered_at AS at FROM trace_parties').all()).toEqual([{ party: 'acme', role: 'manufacturer', name: 'Acme', at: r.position }]);
    expect(db.prepare('SELECT location, party FROM trace_party_locations').all()).toEqual([{ location: `https://id.gs1.org/414/${G}`, party: 'acme' }]);
  });

  it('refuses a location another party holds, writing nothing', () => {
    registerTraceParty(ledger, { party: 'acme', role: 'manufacturer', name: 'Acme', locations: [G] });
    const size = ledger.size();
    const err = refusal(() => registerTraceParty(ledger, { party: 'copycat', role: 'pharmacy', name: 'Copy', locations: [G] }));
    expect([err.code, err.details.location]).toEqual(['TRACE_BAD_REGISTRATION', `https://id.gs1.org/414/${G}`]);
    expect(ledger.size()).toBe(size);
  });
});
