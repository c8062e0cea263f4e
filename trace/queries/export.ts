/**
 * Query results as an EPCIS 2.0 document: the events exactly as captured (the ledger items), in
 * the order given, under the standard JSON-LD context. An event without an eventID gets its CBV
 * 2.0 Event Hash ID as eventID — eventID is not part of the hash, so the exported event still
 * hashes to the same ID, and a receiver can match it to the ledger.
 *
 * The prefixes a capture document declared in its own @context are not kept with its events: an
 * event using such a prefix (`dt:line`) is exported with the key as written, which the schema
 * accepts; a receiver that needs the full IRI has it from the original document.
 */
import type { QueriedEvent } from './epcis-query.ts';

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

export interface ExportOptions {
  /** creationDate of the document (default now). */
  creationDate?: string;
}

export interface EpcisDocumentOut {
  '@context': unknown[];
  type: 'EPCISDocument';
  schemaVersion: '2.0';
  creationDate: string;
  epcisBody: { eventList: Record<string, unknown>[] };
}

/** An EPCIS 2.0 document holding the given events (as returned by queryEvents). */
export function exportEpcisDocument(events: ReadonlyArray<Pick<QueriedEvent, 'hashId' | 'source'>>, options: ExportOptions = {}): EpcisDocumentOut {
  const eventList = events.map(({ hashId, source }) => (source.eventID === undefined ? { ...source, eventID: hashId } : { ...source }));
  return {
    '@context': [EPCIS_CONTEXT],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: options.creationDate ?? new Date().toISOString(),
    epcisBody: { eventList },
  };
}
