import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epcUrnToDigitalLink } from '../../../codes/epc/index.ts';
import { constrainedDigitalLink, epcUriToDigitalLink, gs1CheckDigit, hashIdentifierForm } from '../../../trace/epcis/hash-identifiers.ts';
import { EpcisError } from '../../../trace/epcis/errors.ts';
import { normaliseTimestamp } from '../../../trace/epcis/timestamps.ts';

describe('EPC URI → Digital Link (event hash form)', () => {
  // Check digits recomputed by hand; several are the Tag Data Standard's own examples.
  const known: Array<[string, string]> = [
    ['urn:epc:id:sgtin:0614141.112345.400', 'https://id.gs1.org/01/10614141123459/21/400'],
    ['urn:epc:id:sgtin:0614141.112345.A%2FB!(c)', 'https://id.gs1.org/01/10614141123459/21/A%2FB%21%28c%29'],
    ['urn:epc:id:sscc:4012345.0000000333', 'https://id.gs1.org/00/040123450000003338'],
    ['urn:epc:id:sgln:4012345.00011.987', 'https://id.gs1.org/414/4012345000115/254/987'],
    ['urn:epc:id:sgln:4012345.00011.0', 'https://id.gs1.org/414/4012345000115'],
    ['urn:epc:id:sgln:952005385.011.ts4711', 'https://id.gs1.org/414/9520053850113/254/ts4711'],
    ['urn:epc:id:pgln:4012345.00000', 'https://id.gs1.org/417/4012345000009'],
    ['urn:epc:id:grai:4012345.55555.98765', 'https://id.gs1.org/8003/0401234555555498765'],
    ['urn:epc:id:giai:4000001.111', 'https://id.gs1.org/8004/4000001111'],
    ['urn:epc:id:gsrn:0614141.0000010253', 'https://id.gs1.org/8018/061414100000102534'],
    ['urn:epc:id:gsrnp:0614141.1234567890', 'https://id.gs1.org/8017/061414112345678902'],
    ['urn:epc:id:gdti:4012345.11111.123', 'https://id.gs1.org/253/4012345111118123'],
    ['urn:epc:id:sgcn:4012345.67890.04711', 'https://id.gs1.org/255/401234567890104711'],
    ['urn:epc:id:cpi:0614141.123ABC.123456789', 'https://id.gs1.org/8010/0614141123ABC/8011/123456789'],
    ['urn:epc:id:ginc:0614141.xyz47%2F11', 'https://id.gs1.org/401/0614141xyz47%2F11'],
    ['urn:epc:id:gsin:0614141.123456789', 'https://id.gs1.org/402/06141411234567890'],
    ['urn:epc:id:itip:4012345.012345.01.02.987', 'https://id.gs1.org/8006/040123451234560102/21/987'],
    ["urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB", "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB"],
    ['urn:epc:class:lgtin:4012345.012345.998877', 'https://id.gs1.org/01/04012345123456/10/998877'],
    ['urn:epc:idpat:sgtin:4012345.012345.*', 'https://id.gs1.org/01/04012345123456'],
    ['urn:epc:idpat:grai:4012345.55555.*', 'https://id.gs1.org/8003/04012345555554'],
    ['urn:epc:idpat:itip:4012345.012345.01.02.*', 'https://id.gs1.org/8006/040123451234560102'],
  ];
  for (const [urn, dl] of known) {
    it(`${urn} → ${dl}`, () => expect(epcUriToDigitalLink(urn)).toBe(dl));
  }

  const notConvertible = [
    'urn:epc:id:sgtin:0614141.1123456.400', // 14 digits of prefix + item reference
    'urn:epc:id:sgtin:0614141.112345.', // empty serial
    'urn:epc:id:sgtin:0614141.112345.a/b', // '/' must be escaped in a URN
    'urn:epc:id:sgtin:0614141.112345.123456789012345678901', // 21-character serial
    'urn:epc:id:sscc:4012345.00000003A3',
    'urn:epc:id:sscc:4012345.000000033', // 16 digits
    'urn:epc:id:sgln:4012345.00011', // no extension field
    'urn:epc:id:pgln:40123.0000000', // 5-digit company prefix
    'urn:epc:id:cpi:0614141.123abc.1', // lower case not allowed in a CPI reference
    'urn:epc:id:itip:4012345.012345.1.02.987',
    'urn:epc:id:gid:95100000.12345.400', // not a GS1 key
    'urn:epc:idpat:sgtin:4012345.*.*', // a company-wide pattern names no GTIN
    'urn:epc:id:sgtin',
  ];
  for (const urn of notConvertible) {
    it(`leaves ${urn} unconverted`, () => expect(epcUriToDigitalLink(urn)).toBeUndefined());
  }

  it('agrees with codes/epc on every sgtin, sscc, sgln and lgtin (independent implementations)', () => {
    const prefix = fc.integer({ min: 6, max: 12 }).chain((n) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`)));
    const component = fc.stringMatching(/^[A-Za-z0-9!'()*+,\-.:;=_]{1,20}$/);
    const urn = prefix.chain((cp) =>
      fc.oneof(
        fc.tuple(fc.stringMatching(new RegExp(`^[0-9]{${13 - cp.length}}$`)), component).map(([ref, s]) => `urn:epc:id:sgtin:${cp}.${ref}.${s}`),
        fc.stringMatching(new RegExp(`^[0-9]{${17 - cp.length}}$`)).map((ref) => `urn:epc:id:sscc:${cp}.${ref}`),
        fc.tuple(fc.stringMatching(new RegExp(`^[0-9]{${12 - cp.length}}$`)), component).map(([ref, ext]) => `urn:epc:id:sgln:${cp}.${ref}.${ext}`),
        fc.tuple(fc.stringMatching(new RegExp(`^[0-9]{${13 - cp.length}}$`)), component).map(([ref, lot]) => `urn:epc:class:lgtin:${cp}.${ref}.${lot}`),
      ),
    );
    fc.assert(
      fc.property(urn, (u) => {
        // Both must give the same key and qualifiers; percent-encoding may differ only in case.
        expect(decodeURIComponent(epcUriToDigitalLink(u)!)).toBe(decodeURIComponent(epcUrnToDigitalLink(u)));
      }),
      { numRuns: 300 },
    );
  });

  it('computes GS1 mod-10 check digits', () => {
    expect(gs1CheckDigit('0952123412345')).toBe('3');
    expect(gs1CheckDigit('09521234000000001')).toBe('3');
    expect(gs1CheckDigit('401234500001')).toBe('6');
    expect(gs1CheckDigit('629104150021')).toBe('3'); // GTIN-13 6291041500213 (GS1 GenSpecs example)
  });
});

describe('constrained canonical Digital Link', () => {
  const cases: Array<[string, string | undefined]> = [
    ['https://id.gs1.org/01/09521234123453/21/SN1', 'https://id.gs1.org/01/09521234123453/21/SN1'],
    ['https://brand.example/01/9521234123453/21/A?17=280229&10=L1', 'https://id.gs1.org/01/09521234123453/21/A'],
    ['http://id.gs1.org/01/09521234123453#frag', 'https://id.gs1.org/01/09521234123453'],
    ['https://id.gs1.org/gtin/09521234123453/lot/L1/ser/S1', 'https://id.gs1.org/01/09521234123453/21/S1'],
    ['https://id.gs1.org/01/09521234123453/22/V1/10/L1', 'https://id.gs1.org/01/09521234123453/10/L1'],
    ['https://id.gs1.org/01/09521234123453/10/L1/21/S1', 'https://id.gs1.org/01/09521234123453/21/S1'],
    ['https://id.gs1.org/01/12345670', 'https://id.gs1.org/01/00000012345670'],
    ['https://shop.example/a/b/c/414/9521234000013/254/7/', 'https://id.gs1.org/414/9521234000013/254/7'],
    ['https://id.gs1.org/00/095212340000000013', 'https://id.gs1.org/00/095212340000000013'],
    ['https://id.gs1.org/8010/0614141123ABC/8011/123', 'https://id.gs1.org/8010/0614141123ABC/8011/123'],
    ['https://example.com/253/4012345000054987', 'https://id.gs1.org/253/4012345000054987'],
    ['https://id.gs1.org/01/123/21/A', undefined],
    ['https://id.gs1.org/01/09521234123453/21/A/99/x', undefined],
    ['https://id.gs1.org/01/09521234123453/21', undefined],
    ['https://id.gs1.org/00/12345', undefined],
    ['https://id.gs1.org/417/4012345000009/254/1', undefined],
    ['http://transaction.acme.com/po/12345678', undefined],
    ['https://www.ncbi.nlm.nih.gov/taxonomy/1126011', undefined],
    ['urn:uuid:6f1c2a8e-8d9b-4a8e-9c51-0d6f8a3e2b11', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected ?? 'not a Digital Link'}`, () => expect(constrainedDigitalLink(input)).toBe(expected));
  }

  it('hashIdentifierForm converts GS1 forms and leaves everything else alone', () => {
    expect(hashIdentifierForm('urn:epc:id:sgtin:0614141.112345.400')).toBe('https://id.gs1.org/01/10614141123459/21/400');
    expect(hashIdentifierForm('https://x.example/01/10614141123459/21/400?3103=000500')).toBe('https://id.gs1.org/01/10614141123459/21/400');
    for (const other of ['geo:47.506694,11.104301', 'urn:epcglobal:cbv:bt:4012345000009:ASN1099', 'urn:epc:id:sgtin:bad', 'plain text']) {
      expect(hashIdentifierForm(other)).toBe(other);
    }
  });
});

describe('normaliseTimestamp', () => {
  const cases: Array<[string, string]> = [
    ['2020-03-04T11:00:30+01:00', '2020-03-04T10:00:30.000Z'],
    ['2022-02-16T20:33:31.116000-06:00', '2022-02-17T02:33:31.116Z'],
    ['2023-01-18T11:04:03.1415Z', '2023-01-18T11:04:03.142Z'],
    ['2023-01-18T11:04:03.1414999Z', '2023-01-18T11:04:03.141Z'],
    ['2023-01-18T11:04:03.5Z', '2023-01-18T11:04:03.500Z'],
    ['2023-12-31T23:59:59.9995Z', '2024-01-01T00:00:00.000Z'],
    ['2024-02-29T12:00:00-14:00', '2024-03-01T02:00:00.000Z'],
    ['2024-01-01t00:00:00z', '2024-01-01T00:00:00.000Z'],
    ['  2024-01-01T08:00:00+08:00 ', '2024-01-01T00:00:00.000Z'],
    // Years below 100 are years below 100, not 1900–1999.
    ['0050-06-01T12:00:00+02:00', '0050-06-01T10:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0099-12-31T23:59:59.999Z', '0099-12-31T23:59:59.999Z'],
    ['0004-02-29T00:00:00Z', '0004-02-29T00:00:00.000Z'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => expect(normaliseTimestamp(input)).toBe(expected));
  }

  const refused = [
    '2023-02-29T00:00:00Z',
    '2023-04-31T00:00:00Z',
    '2023-01-01T24:00:00Z',
    '2023-01-01T00:60:00Z',
    '2023-01-01T00:00:00',
    '2023-01-01 00:00:00Z',
    '2023-01-01T00:00Z',
    '2023-01-01T00:00:00+15:00',
    '2023-01-01T00:00:00+0100',
    'yesterday',
    '',
    // Already in the stored form, but no real instant:
    '2023-02-29T00:00:00.000Z',
    '1900-02-29T00:00:00.000Z',
    '2023-04-31T00:00:00.000Z',
    '2023-13-01T00:00:00.000Z',
    '2023-00-10T00:00:00.000Z',
    '2023-01-00T00:00:00.000Z',
    '2023-01-01T24:00:00.000Z',
    '2023-01-01T00:60:00.000Z',
    '2023-01-01T00:00:60.000Z',
    '0000-01-01T00:00:00.000Z',
    // Before year 1 once the offset is applied; a leap day of a year that had none.
    '0001-01-01T00:30:00+01:00',
    '0003-02-29T00:00:00Z',
  ];
  it('gives back a timestamp already in the stored form, leap days included', () => {
    for (const v of ['2000-02-29T23:59:59.999Z', '2024-02-29T00:00:00.000Z', '0100-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) expect(normaliseTimestamp(v)).toBe(v);
    fc.assert(
      fc.property(fc.date({ min: new Date('0100-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (d) => {
        expect(normaliseTimestamp(d.toISOString())).toBe(d.toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  for (const input of refused) {
    it(`refuses ${JSON.stringify(input)} with EPCIS_BAD_TIMESTAMP`, () => {
      expect(() => normaliseTimestamp(input, '/eventTime')).toThrowError(EpcisError);
      try {
        normaliseTimestamp(input, '/eventTime');
      } catch (error) {
        expect((error as EpcisError).code).toBe('EPCIS_BAD_TIMESTAMP');
        expect((error as EpcisError).details.path).toBe('/eventTime');
      }
    });
  }
});
