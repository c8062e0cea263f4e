import { describe, expect, it } from 'vitest';
import { CnCodeError } from '../../codes/cn/index.ts';
import { GS1Error } from '../../codes/gs1/index.ts';
import { ScanError, readKeystrokes, type CorrectionKind } from '../../scanner/index.ts';
import { LAYOUT_INVERSE, LAYOUT_TABLES } from '../../scanner/layouts.ts';
import { typeThrough } from './helpers/typing.ts';

const GS = '\x1d';
const GTIN = '09506000134352';
const UNIT_RAW = `01${GTIN}17261231` + `10ABC123${GS}21XYZ99`;
const UNIT = `(01)${GTIN}(17)261231(10)ABC123(21)XYZ99`;
const CN = '81234560123456789012';
const DL = `https://id.gs1.org/01/${GTIN}/21/XYZ99`;

function bracketed(input: string): string {
  const r = readKeystrokes(input);
  return r.identifier.kind === 'cn' ? r.identifier.cn.code : r.identifier.bracketed;
}
const kinds = (input: string): CorrectionKind[] => readKeystrokes(input).corrections.map((c) => c.kind);
function refusal(input: string): Error {
  try {
    readKeystrokes(input);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('layout tables', () => {
  it('list the same 47 keys unshifted and shifted for every layout', () => {
    for (const t of Object.values(LAYOUT_TABLES)) expect([...t]).toHaveLength(47);
  });
  it('map each received character back to one key', () => {
    expect(LAYOUT_INVERSE.qwertz.get('z')).toBe('y');
    expect(LAYOUT_INVERSE.qwertz.get('Y')).toBe('Z');
    expect(LAYOUT_INVERSE.qwertz.get('Ö')).toBe(':');
    expect(LAYOUT_INVERSE.azerty.get('é')).toBe('2');
    expect(LAYOUT_INVERSE.azerty.get('&')).toBe('1');
    expect(LAYOUT_INVERSE.azerty.get('à')).toBe('0');
    expect(LAYOUT_INVERSE.azerty.get('1')).toBe('!');
  });
});

describe('readKeystrokes: the keystroke table', () => {
  // [what happened, keystrokes received, expected identifier, corrections reported]
  const accepted: Array<[string, string, string, CorrectionKind[]]> = [
    ['clean raw data with GS', UNIT_RAW, UNIT, []],
    ['Enter after the data', UNIT_RAW + '\r\n', UNIT, []],
    ['AIM identifier ]d2 first', ']d2' + UNIT_RAW, UNIT, []],
    ['leading FNC1 as GS', GS + UNIT_RAW, UNIT, []],
    ['GS typed as ^]', UNIT_RAW.replace(GS, '^]'), UNIT, ['gs-notation']],
    ['GS typed as <GS>', UNIT_RAW.replace(GS, '<GS>'), UNIT, ['gs-notation']],
    ['GS typed as {GS}', UNIT_RAW.replace(GS, '{GS}'), UNIT, ['gs-notation']],
    ['GS shown as ␝', UNIT_RAW.replace(GS, '\u241d'), UNIT, ['gs-notation']],
    ['GS written as the escape \\x1d', UNIT_RAW.replace(GS, '\\x1d'), UNIT, ['gs-notation']],
    ['GS after a predefined-length field too', `01${GTIN}${GS}17261231${GS}10ABC123${GS}21XYZ99`, UNIT, []],
    [
      'GS dropped after a lot too long to be one field',
      `01${GTIN}10ABCDEFGHIJKLMNO21XYZ1234567`,
      `(01)${GTIN}(10)ABCDEFGHIJKLMNO(21)XYZ1234567`,
      ['missing-separator'],
    ],
    ['German QWERTZ: ] Y Z and ^] remapped', typeThrough(']d2' + UNIT_RAW.replace(GS, '^]'), 'qwertz'), UNIT, ['keyboard-layout', 'gs-notation']],
    ['French AZERTY: digits arrive as &é"\'(-è_çà', typeThrough(UNIT_RAW, 'azerty'), UNIT, ['keyboard-layout']],
    ['French AZERTY: a CN code', typeThrough(CN, 'azerty'), CN, ['keyboard-layout']],
    ['Caps Lock, betrayed by ]D2', typeThrough(']d2' + UNIT_RAW, 'us', true), UNIT, ['caps-lock']],
    ['Caps Lock on a German layout', typeThrough(']d2' + UNIT_RAW.replace(GS, '^]'), 'qwertz', true), UNIT, ['keyboard-layout', 'caps-lock', 'gs-notation']],
    ['Digital Link through QWERTZ (: and / moved)', typeThrough(DL, 'qwertz'), `(01)${GTIN}(21)XYZ99`, ['keyboard-layout']],
    ['Digital Link through AZERTY', typeThrough(DL, 'azerty'), `(01)${GTIN}(21)XYZ99`, ['keyboard-layout']],
    ['CN code as typed', CN, CN, []],
    ['bare 20 digits from 8 are a CN code, not (8002)…(91)…', '80028616914637709181', '80028616914637709181', []],
    ['CN code from a Code 128 with ]C0', ']C0' + CN, CN, []],
    ['Digital Link from a QR with ]Q1', ']Q1' + DL, `(01)${GTIN}(21)XYZ99`, []],
  ];

  it.each(accepted)('%s', (_what, input, expected, corrections) => {
    expect(bracketed(input)).toBe(expected);
    expect(kinds(input)).toEqual(corrections);
  });

  it('says exactly what it corrected', () => {
    const r = readKeystrokes(typeThrough(UNIT_RAW, 'azerty'));
    expect(r.corrections[0].detail).toMatch(/French AZERTY/);
    expect(r.corrections[0].detail).toContain('"é"→"2"');
    const gs = readKeystrokes(`01${GTIN}10ABCDEFGHIJKLMNO21XYZ1234567`);
    expect(gs.corrections[0].detail).toContain('after (10) ABCDEFGHIJKLMNO');
    expect(gs.transmitted).toBe(`01${GTIN}10ABCDEFGHIJKLMNO${GS}21XYZ1234567`);
  });

  it('reads a swap that still validates as typed: a Y/Z inside a serial cannot be seen without a prefix', () => {
    expect(bracketed(typeThrough(UNIT_RAW, 'qwertz'))).toBe(`(01)${GTIN}(17)261231(10)ABC123(21)XZY99`);
    expect(kinds(typeThrough(UNIT_RAW, 'qwertz'))).toEqual([]);
  });

  it('reads Caps Lock that still validates as typed (lower-case serials are legal)', () => {
    expect(bracketed(typeThrough(UNIT_RAW, 'us', true))).toBe(`(01)${GTIN}(17)261231(10)abc123(21)xyz99`);
  });

  it('trusts the separators when any GS arrived, and does not split fields further', () => {
    const input = `01${GTIN}10ABC123${GS}21XYZ9917261231`;
    expect(bracketed(input)).toBe(`(01)${GTIN}(10)ABC123(21)XYZ9917261231`);
    expect(kinds(input)).toEqual([]);
  });
});

describe('readKeystrokes: refusals', () => {
  it('refuses a dropped GS when the lot could also end later: SCAN_AMBIGUOUS lists both readings', () => {
    const err = refusal(`01${GTIN}17261231` + '10ABC123' + '21XYZ99');
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe('SCAN_AMBIGUOUS');
    expect((err as ScanError).details.readings).toEqual([
      `(01)${GTIN}(17)261231(10)ABC123(21)XYZ99 [missing-separator]`,
      `(01)${GTIN}(17)261231(10)ABC12321XYZ99`,
    ]);
  });

  it('reads the same digits as GS1 data behind ]d2, where they split three ways: SCAN_AMBIGUOUS', () => {
    const err = refusal(']d280028616914637709181');
    expect((err as ScanError).code).toBe('SCAN_AMBIGUOUS');
    expect((err as ScanError).details.readings).toHaveLength(3);
  });

  it.each([
    ['', 'SCAN_EMPTY_INPUT'],
    ['\r\n', 'SCAN_EMPTY_INPUT'],
    [']d2', 'SCAN_EMPTY_INPUT'],
    [']d2' + GS, 'SCAN_EMPTY_INPUT'],
    [']X9' + UNIT_RAW, 'SCAN_UNKNOWN_CONTENT'],
    [']C0HELLO', 'SCAN_UNKNOWN_CONTENT'],
    ['0109506000134352€', 'SCAN_UNKNOWN_CONTENT'],
    ['药品追溯码', 'SCAN_UNKNOWN_CONTENT'],
  ])('refuses %j with ScanError %s', (input, code) => {
    const err = refusal(input);
    expect(err).toBeInstanceOf(ScanError);
    expect((err as ScanError).code).toBe(code);
  });

  it('names the offending character a scanner cannot type', () => {
    expect(refusal('0109506000134352€').message).toMatch(/"€" at position 17/);
  });

  it.each([
    ['a wrong GTIN check digit', `01${GTIN.slice(0, 13)}3`, 'GS1_CHECK_DIGIT', '01'],
    ['month 13', `01${GTIN}17261331`, 'GS1_BAD_DATE', '17'],
    ['(21) without (01)', '21XYZ99', 'GS1_REQUIRES', '21'],
    ['a truncated GTIN', `01${GTIN.slice(0, 10)}`, 'GS1_TOO_SHORT', '01'],
    ['an unknown AI', '7512345', 'GS1_UNKNOWN_AI', '75'],
  ])('passes the codes/ error through for %s (never "corrects" it away)', (_what, input, code, ai) => {
    const err = refusal(input);
    expect(err).toBeInstanceOf(GS1Error);
    expect((err as GS1Error).code).toBe(code);
    if (ai) expect((err as GS1Error).ai).toBe(ai);
  });

  it('passes CN shape errors through', () => {
    const err = refusal(']C0' + '8123456012345678901');
    expect(err).toBeInstanceOf(CnCodeError);
    expect((err as CnCodeError).code).toBe('CN_LENGTH');
  });
});
