/** The recall report's CSV export (web/client/csv.ts). */
import { describe, expect, it } from 'vitest';
import { csvCell, recallCsv, recallCsvName, RECALL_CSV_COLUMNS } from '../../web/client/csv.ts';
import type { RecallUnit } from '../../trace/queries/index.ts';

const unit = (over: Partial<RecallUnit>): RecallUnit => ({
  code: 'https://id.gs1.org/01/09521234000013/21/1',
  status: 'recalled',
  recalled: true,
  custodian: 'pharmacy-1',
  location: null,
  path: ['mah', 'dist-north', 'pharmacy-1'],
  pendingTo: null,
  dispensed: null,
  lastEventAt: '2026-03-06T01:30:00.000Z',
  unaccounted: null,
  ...over,
});

describe('csvCell', () => {
  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('plain')).toBe('plain');
  });

  it('writes null and undefined as empty cells, booleans and numbers as text', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(3)).toBe('3');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    for (const bad of ['=HYPERLINK("x")', '+1', '-1+2', '@SUM(A1)', '\tx']) expect(csvCell(bad).replace(/^"/, '').startsWith("'")).toBe(true);
  });
});

describe('recallCsv', () => {
  it('has the header and one CRLF line per unit, with the custody path and dispensing', () => {
    const csv = recallCsv({
      units: [unit({}), unit({ code: 'https://id.gs1.org/01/09521234000013/21/2', status: 'dispensed', dispensed: { party: 'pharmacy-1', location: null, at: '2026-03-07T00:00:00.000Z' } })],
    });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(RECALL_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(4); // header, two units, and the final line end
    expect(lines[3]).toBe('');
    expect(lines[1]).toBe('https://id.gs1.org/01/09521234000013/21/1,recalled,true,pharmacy-1,,mah > dist-north > pharmacy-1,,,,2026-03-06T01:30:00.000Z,');
    expect(lines[2]).toContain(',pharmacy-1,2026-03-07T00:00:00.000Z,');
  });

  it('names the file after the GTIN and lot, with nothing unsafe in it', () => {
    expect(recallCsvName({ gtin: '09521234000013', lot: 'A2601' })).toBe('recall-09521234000013-A2601.csv');
    expect(recallCsvName({ gtin: '09521234000013', lot: '../x y' })).toBe('recall-09521234000013-.._x_y.csv');
  });
});
