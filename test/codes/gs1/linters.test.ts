import { describe, expect, it } from 'vitest';
import { AI_ENTRIES, LINTERS, UNIMPLEMENTED_LINTERS, runLinter } from '../../../codes/gs1/index.ts';

const ok = (name: string, value: string) => expect(runLinter(name, value), `${name}(${value})`).toBeNull();
const bad = (name: string, value: string, code: string, offset: number) =>
  expect(runLinter(name, value), `${name}(${value})`).toMatchObject({ code, offset });

describe('linter coverage', () => {
  it('implements every linter the dictionary names, except the documented few', () => {
    const named = new Set(AI_ENTRIES.flatMap((e) => e.components.flatMap((c) => c.linters)));
    const missing = [...named].filter((n) => !LINTERS[n]).sort();
    expect(missing).toEqual([...UNIMPLEMENTED_LINTERS].sort());
  });

  it('runLinter refuses an unknown linter name', () => {
    expect(() => runLinter('nosuch', '1')).toThrow(RangeError);
  });
});

describe('dates', () => {
  it('yymmd0 accepts day 00 and real days, and rejects impossible ones', () => {
    ok('yymmd0', '260100');
    ok('yymmd0', '261231');
    ok('yymmd0', '240229');
    ok('yymmd0', '000229');
    bad('yymmd0', '250229', 'GS1_BAD_DATE', 4);
    bad('yymmd0', '260001', 'GS1_BAD_DATE', 2);
    bad('yymmd0', '261301', 'GS1_BAD_DATE', 2);
    bad('yymmd0', '260432', 'GS1_BAD_DATE', 4);
    bad('yymmd0', '260631', 'GS1_BAD_DATE', 4);
  });

  it('yymmdd rejects day 00', () => {
    ok('yymmdd', '260101');
    bad('yymmdd', '260100', 'GS1_BAD_DATE', 4);
  });

  it('yyyymmdd applies the full Gregorian leap rule', () => {
    ok('yyyymmdd', '20000229');
    ok('yyyymmdd', '20240229');
    bad('yyyymmdd', '19000229', 'GS1_BAD_DATE', 6);
    bad('yyyymmdd', '20230229', 'GS1_BAD_DATE', 6);
    bad('yyyymmdd', '20231301', 'GS1_BAD_DATE', 4);
  });

  it('hh, mi, ss and hhmi bound their fields', () => {
    ok('hhmi', '2359');
    ok('hhmi', '0000');
    bad('hhmi', '2400', 'GS1_BAD_TIME', 0);
    bad('hhmi', '2360', 'GS1_BAD_TIME', 2);
    ok('ss', '59');
    bad('ss', '60', 'GS1_BAD_TIME', 0);
    bad('mi', '60', 'GS1_BAD_TIME', 0);
    bad('hh', '24', 'GS1_BAD_TIME', 0);
  });
});

describe('code lists', () => {
  it('iso3166 knows numeric country codes', () => {
    ok('iso3166', '156');
    ok('iso3166', '276');
    ok('iso3166', '840');
    bad('iso3166', '000', 'GS1_BAD_VALUE', 0);
    bad('iso3166', '999', 'GS1_BAD_VALUE', 0);
    ok('iso3166999', '999');
  });

  it('iso3166alpha2 knows alpha-2 codes, upper case only', () => {
    ok('iso3166alpha2', 'CN');
    ok('iso3166alpha2', 'DE');
    bad('iso3166alpha2', 'cn', 'GS1_BAD_VALUE', 0);
    bad('iso3166alpha2', 'XX', 'GS1_BAD_VALUE', 0);
  });

  it('iso4217 knows numeric currency codes', () => {
    ok('iso4217', '978');
    ok('iso4217', '156');
    ok('iso4217', '840');
    bad('iso4217', '001', 'GS1_BAD_VALUE', 0);
  });
});

describe('structured values', () => {
  it('pieceoftotal: both non-zero, piece at most total', () => {
    ok('pieceoftotal', '0102');
    ok('pieceoftotal', '0202');
    bad('pieceoftotal', '0002', 'GS1_BAD_VALUE', 0);
    bad('pieceoftotal', '0100', 'GS1_BAD_VALUE', 2);
    bad('pieceoftotal', '0302', 'GS1_BAD_VALUE', 0);
  });

  it('posinseqslash: POSITION/TOTAL', () => {
    ok('posinseqslash', '1/2');
    ok('posinseqslash', '2/2');
    bad('posinseqslash', '3/2', 'GS1_BAD_VALUE', 0);
    bad('posinseqslash', '0/2', 'GS1_BAD_VALUE', 0);
    bad('posinseqslash', '12/', 'GS1_BAD_VALUE', 0);
    bad('posinseqslash', 'a/2', 'GS1_BAD_VALUE', 0);
  });

  it('pcenc: % must start a two-hex-digit escape', () => {
    ok('pcenc', 'Smith%20%26%20Sons');
    ok('pcenc', 'no escapes');
    bad('pcenc', 'A%2', 'GS1_BAD_VALUE', 1);
    bad('pcenc', 'A%G0', 'GS1_BAD_VALUE', 1);
    bad('pcenc', '%', 'GS1_BAD_VALUE', 0);
  });

  it('iban: letters, digits and mod 97', () => {
    ok('iban', 'GB82WEST12345698765432');
    ok('iban', 'DE89370400440532013000');
    bad('iban', 'GB82WEST12345698765433', 'GS1_CHECK_DIGIT', 2);
    bad('iban', 'gb82WEST12345698765432', 'GS1_BAD_VALUE', 0);
  });

  it('latitude and longitude stay in range', () => {
    ok('latitude', '1800000000');
    bad('latitude', '1800000001', 'GS1_BAD_VALUE', 0);
    ok('longitude', '3600000000');
    bad('longitude', '3600000001', 'GS1_BAD_VALUE', 0);
  });

  it('single-character sets: yesno, winding, zero, hyphen, iso5218, importeridx', () => {
    ok('yesno', '1');
    bad('yesno', '2', 'GS1_BAD_VALUE', 0);
    ok('winding', '9');
    bad('winding', '2', 'GS1_BAD_VALUE', 0);
    ok('zero', '0');
    bad('zero', '1', 'GS1_BAD_VALUE', 0);
    ok('hyphen', '-');
    bad('hyphen', '+', 'GS1_BAD_VALUE', 0);
    ok('iso5218', '9');
    bad('iso5218', '3', 'GS1_BAD_VALUE', 0);
    ok('importeridx', '_');
    bad('importeridx', '!', 'GS1_BAD_VALUE', 0);
  });

  it('mediatype: 01-10 or 80-99', () => {
    ok('mediatype', '01');
    ok('mediatype', '85');
    bad('mediatype', '00', 'GS1_BAD_VALUE', 0);
    bad('mediatype', '11', 'GS1_BAD_VALUE', 0);
  });

  it('nonzero, nozeroprefix, hasnondigit', () => {
    ok('nonzero', '0001');
    bad('nonzero', '0000', 'GS1_BAD_VALUE', 0);
    ok('nozeroprefix', '0');
    ok('nozeroprefix', '10');
    bad('nozeroprefix', '01', 'GS1_BAD_VALUE', 0);
    ok('hasnondigit', '12A');
    bad('hasnondigit', '123', 'GS1_BAD_VALUE', 0);
  });

  it('gcppos1 and gcppos2: the company prefix starts with four digits', () => {
    ok('gcppos1', '0614ABC');
    bad('gcppos1', '06A4ABC', 'GS1_BAD_VALUE', 2);
    bad('gcppos1', '061', 'GS1_BAD_VALUE', 0);
    ok('gcppos2', 'X0614');
  });
});
