/**
 * CSV (RFC 4180) of a recall report's units, for a spreadsheet. Cells that a spreadsheet would
 * run as a formula (starting with = + - @, tab or CR) get a leading apostrophe, so a code or a
 * party name can never execute. Pure (no DOM): tested in test/web/csv.test.ts.
 */
import type { RecallReport } from '../../trace/queries/index.ts';

export const RECALL_CSV_COLUMNS = [
  'code',
  'status',
  'recalled',
  'custodian',
  'location',
  'path',
  'pending_to',
  'dispensed_by',
  'dispensed_at',
  'last_event_at',
  'unaccounted',
] as const;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One header line and one line per unit, CRLF line ends as RFC 4180 says. */
export function recallCsv(report: Pick<RecallReport, 'units'>): string {
  const lines = [RECALL_CSV_COLUMNS.join(',')];
  for (const u of report.units) {
    lines.push(
      [
        u.code,
        u.status,
        u.recalled,
        u.custodian,
        u.location,
        u.path.join(' > '),
        u.pendingTo,
        u.dispensed?.party,
        u.dispensed?.at,
        u.lastEventAt,
        u.unaccounted,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** A file name for the export: recall-<gtin>-<lot>.csv with anything unsafe in a name replaced. */
export function recallCsvName(report: Pick<RecallReport, 'gtin' | 'lot'>): string {
  return `recall-${report.gtin}-${report.lot}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
}
