import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { EpcisError } from '../../../trace/epcis/errors.ts';
import { SIMPLE_HTTP_URI, validateEpcisDocument } from '../../../trace/epcis/validate.ts';
import { fixture } from './helpers.ts';

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

/** ajv-formats' own full `uri` check, the one the schema's "format": "uri" means. */
function fullUriCheck(): (text: string) => boolean {
  const ajv = new Ajv();
  addFormats(ajv);
  return ajv.formats.uri as (text: string) => boolean;
}

const withEpcs = (epcList: string[]) => {
  const doc = fixture('transaction-shipping.jsonld');
  doc.epcisBody.eventList[0].epcList = epcList;
  return doc;
};

describe('epcList uniqueness in EPCIS validation', () => {
  const code = (n: number) => `https://id.gs1.org/01/09521234000013/21/S${n}`;

  it('accepts a long list of distinct codes', () => {
    expect(() => validateEpcisDocument(withEpcs(Array.from({ length: 2000 }, (_, i) => code(i))))).not.toThrow();
  });

  it('refuses a list naming a code twice, far apart, with the uniqueItems rule at the list', () => {
    const epcs = Array.from({ length: 500 }, (_, i) => code(i));
    epcs.push(code(3));
    let error: unknown;
    try {
      validateEpcisDocument(withEpcs(epcs));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EpcisError);
    const violations = (error as EpcisError).details.violations ?? [];
    expect(violations).toContainEqual(expect.objectContaining({ path: '/epcisBody/eventList/0/epcList', rule: 'uniqueItems' }));
  });

  it('reports duplicate non-string entries as before: type errors and the duplicate', () => {
    let error: unknown;
    try {
      validateEpcisDocument(withEpcs([1, 1] as unknown as string[]));
    } catch (e) {
      error = e;
    }
    const rules = ((error as EpcisError).details.violations ?? []).map((v) => v.rule);
    expect(rules).toContain('type');
    expect(rules).toContain('uniqueItems');
  });
});

describe('the uri format of EPCIS validation', () => {
  const full = fullUriCheck();

  it('takes the short way only for strings the full RFC 3986 pattern accepts', () => {
    const chars = fc.constantFrom(...'hHtTpPsS:/aZ09.-_~!$&\'()*+,;=@%2F?#[] é\\"<>|^`{}'.split(''));
    const text = fc.tuple(fc.constantFrom('', 'http://', 'https://', 'HTTPS://', 'http:/'), fc.array(chars, { maxLength: 24 })).map(([p, cs]) => p + cs.join(''));
    fc.assert(
      fc.property(text, (s) => {
        if (SIMPLE_HTTP_URI.test(s)) expect(full(s)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes the short way for the identifiers a supply chain writes', () => {
    for (const s of ['https://id.gs1.org/01/09521234000013/21/L0000-1', 'https://id.gs1.org/414/9521234000004', 'http://example.com/a;b=c/@x']) {
      expect(SIMPLE_HTTP_URI.test(s)).toBe(true);
    }
  });

  it('still accepts URIs outside the short way (URNs, percent escapes, queries)', () => {
    const epcs = ['urn:epc:id:sgtin:0614141.107346.2018', 'https://id.gs1.org/01/09521234000013/21/A%2FB', 'https://example.com/x?y=1#z'];
    for (const s of epcs) expect(SIMPLE_HTTP_URI.test(s)).toBe(false);
    expect(() => validateEpcisDocument(withEpcs(epcs))).not.toThrow();
  });

  it('still refuses a value that is no URI, naming the element', () => {
    let error: unknown;
    try {
      validateEpcisDocument(withEpcs(['https://id.gs1.org/01/09521234000013/21/ok', 'https://exa mple.com/x']));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EpcisError);
    expect((error as EpcisError).code).toBe('EPCIS_SCHEMA');
    expect(JSON.stringify((error as EpcisError).details)).toContain('/epcisBody/eventList/0/epcList/1');
  });
});
