import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { captureOutput } from '../helpers/run-cli.ts';
import { RECOGNISERS, unescapeGroupSeparators } from '../../cli/commands/parse.ts';

const GTIN = '09501101530003';

const io = captureOutput();

describe('drugtrace parse', () => {
  it('prints the elements with titles, the bracketed form and the Digital Link', async () => {
    expect(await main(['parse', `(01)${GTIN}(17)260430(10)AB-1(21)12345`])).toBe(0);
    expect(io.stdout).toContain('(01) GTIN');
    expect(io.stdout).toContain('(17) USE BY or EXPIRY');
    expect(io.stdout).toContain(`Bracketed:     (01)${GTIN}(17)260430(10)AB-1(21)12345`);
    expect(io.stdout).toContain(`Digital Link:  https://id.gs1.org/01/${GTIN}/10/AB-1/21/12345?17=260430`);
  });

  it('--json prints exactly one JSON document', async () => {
    expect(await main(['parse', `]d201${GTIN}10L1<GS>21S`, '--json'])).toBe(0);
    const doc = JSON.parse(io.stdout);
    expect(doc).toEqual({
      valid: true,
      kind: 'gs1',
      form: 'scanner',
      symbology: ']d2',
      elements: [
        { ai: '01', title: 'GTIN', value: GTIN },
        { ai: '10', title: 'BATCH/LOT', value: 'L1' },
        { ai: '21', title: 'SERIAL', value: 'S' },
      ],
      bracketed: `(01)${GTIN}(10)L1(21)S`,
      raw: `01${GTIN}10L1\x1d21S`,
      digitalLink: `https://id.gs1.org/01/${GTIN}/10/L1/21/S`,
    });
  });

  it('parses a Digital Link back to the element string', async () => {
    expect(await main(['parse', `https://example.com/01/${GTIN}/21/S?17=260430`, '--json'])).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ form: 'digital-link', bracketed: `(01)${GTIN}(21)S(17)260430` });
  });

  it('exits 1 with code, AI, rule and position for invalid data', async () => {
    expect(await main(['parse', `(01)${GTIN}(17)260230`, '--json'])).toBe(1);
    expect(JSON.parse(io.stdout)).toMatchObject({
      valid: false,
      error: { code: 'GS1_BAD_DATE', ai: '17', rule: 'yymmd0', position: 26 },
    });
  });

  it('without --json, explains the failure on io.stderr and prints nothing on io.stdout', async () => {
    expect(await main(['parse', `(21)S`])).toBe(1);
    expect(io.stdout).toBe('');
    expect(io.stderr).toContain('GS1_REQUIRES');
    expect(io.stderr).toContain('rule req=01,03,8006');
  });

  it('exits 1 for input no recogniser claims', async () => {
    expect(await main(['parse', 'hello world', '--json'])).toBe(1);
    expect(JSON.parse(io.stdout)).toMatchObject({ valid: false, error: { code: 'PARSE_UNRECOGNISED' } });
  });

  it('exits 2 without an argument', async () => {
    expect(await main(['parse'])).toBe(2);
  });

  it('still shows valid data that has no Digital Link form', async () => {
    expect(await main(['parse', '(400)PO-1', '--json'])).toBe(0);
    expect(JSON.parse(io.stdout)).toMatchObject({ valid: true, digitalLink: null, digitalLinkError: { code: 'DL_NO_PRIMARY_KEY' } });
  });
});

describe('parse command helpers', () => {
  it('unescapes command-line spellings of GS', () => {
    expect(unescapeGroupSeparators('10A\\x1d21B<GS>22C{gs}')).toBe('10A\x1d21B\x1d22C\x1d');
  });

  it('exports an extendable recogniser list starting with GS1', () => {
    expect(RECOGNISERS.map((r) => r.name)).toContain('gs1');
  });
});
