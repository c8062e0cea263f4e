import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../fixtures/epcis/', import.meta.url));

export type JsonDoc = Record<string, any>;

/** A fresh copy of a fixture document (tests mutate their copies freely). */
export function fixture(name: string): JsonDoc {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as JsonDoc;
}

export function firstEvent(name: string): { doc: JsonDoc; event: JsonDoc } {
  const doc = fixture(name);
  return { doc, event: doc.epcisBody.eventList[0] };
}

export const FIXTURE_NAMES = [
  'object-commissioning.jsonld',
  'aggregation-packing.jsonld',
  'transaction-shipping.jsonld',
  'transformation-repack.jsonld',
  'sensor-coldchain.jsonld',
  'error-declaration.jsonld',
] as const;

/** A document wrapping the given events with the standard context plus extra prefixes. */
export function documentOf(events: unknown[], extraContext: Record<string, string> = {}): JsonDoc {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', ...(Object.keys(extraContext).length ? [extraContext] : [])],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-03-01T00:00:00Z',
    epcisBody: { eventList: events },
  };
}
