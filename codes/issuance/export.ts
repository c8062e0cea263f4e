import type { Writable } from 'node:stream';
import { DEFAULT_DIGITAL_LINK_BASE, encodeDigitalLinkValue, toBracketed } from '../gs1/index.ts';
import type { IssuedBatch } from './issue.ts';
import type { Product } from './products.ts';

/** csv: one header line, RFC 4180 quoting. json: one JSON array, streamed. ndjson: one object per line. */
export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One code as a packaging line needs it. Fields that do not apply are absent. */
export interface CodeRecord {
  serial: string;
  /** Bracketed GS1 element string, e.g. (01)09506000134352(21)8X3K…, for GS1 DataMatrix. */
  elementString?: string;
  /** GS1 Digital Link URI on id.gs1.org, for GS1 QR or the consumer page. */
  digitalLink?: string;
  /** The CN 20-digit code, for Code 128. */
  cnCode?: string;
}

export const CSV_HEADER = 'serial,element_string,digital_link,cn_code';

/**
 * Turns issued serials into records. A product with a GTIN gets (01)+(21); under a cn-20 rule its
 * GS1 serial is the whole 20-digit CN code, so one pack carries one identity in both systems.
 */
export function recordsOf(product: Product, serials: readonly string[], cnCodes?: readonly string[]): CodeRecord[] {
  const gtin = product.gtin;
  const linkPrefix = gtin ? `${DEFAULT_DIGITAL_LINK_BASE}/01/${gtin}/21/` : '';
  const out = new Array<CodeRecord>(serials.length);
  for (let i = 0; i < serials.length; i++) {
    const cnCode = cnCodes?.[i];
    const gs1Serial = cnCode ?? serials[i];
    const record: CodeRecord = { serial: serials[i] };
    if (gtin) {
      record.elementString = toBracketed([
        { ai: '01', value: gtin },
        { ai: '21', value: gs1Serial },
      ]);
      record.digitalLink = linkPrefix + encodeDigitalLinkValue(gs1Serial);
    }
    if (cnCode) record.cnCode = cnCode;
    out[i] = record;
  }
  return out;
}

function csvField(value: string | undefined): string {
  if (value === undefined) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function write(out: Writable, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    out.once('error', onError);
    const ok = out.write(chunk, (err) => {
      if (err) reject(err);
    });
    const done = () => {
      out.off('error', onError);
      resolve();
    };
    // Respect backpressure: hold the next batch until the stream has drained.
    if (ok) done();
    else out.once('drain', done);
  });
}

/** Writes records batch by batch, one string per batch, so memory stays at one batch. */
export class CodeWriter {
  private first = true;
  constructor(
    private readonly out: Writable,
    readonly format: ExportFormat,
  ) {}

  async writeRecords(records: readonly CodeRecord[]): Promise<void> {
    let chunk = '';
    if (this.first) {
      if (this.format === 'csv') chunk += CSV_HEADER + '\n';
      if (this.format === 'json') chunk += '[\n';
    }
    for (const r of records) {
      if (this.format === 'csv') {
        chunk += `${csvField(r.serial)},${csvField(r.elementString)},${csvField(r.digitalLink)},${csvField(r.cnCode)}\n`;
      } else if (this.format === 'ndjson') {
        chunk += JSON.stringify(r) + '\n';
      } else {
        chunk += (this.first ? '' : ',\n') + JSON.stringify(r);
      }
      this.first = false;
    }
    if (chunk) await write(this.out, chunk);
  }

  async writeBatch(batch: IssuedBatch): Promise<void> {
    await this.writeRecords(recordsOf(batch.product, batch.serials, batch.cnCodes));
  }

  /** Closes the JSON array (and writes the CSV header if nothing was issued). Does not end the stream. */
  async finish(): Promise<void> {
    if (this.format === 'json') await write(this.out, this.first ? '[]\n' : '\n]\n');
    else if (this.format === 'csv' && this.first) await write(this.out, CSV_HEADER + '\n');
    this.first = false;
  }
}
