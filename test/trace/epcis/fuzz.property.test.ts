/**
 * EPCIS documents under fuzzing (fast-check): the fixture documents with one part replaced,
 * removed or added, and garbage. Validation and event extraction (with the CBV event hash) either
 * succeed or throw EpcisError with a stable code, never anything else; nesting past
 * MAX_EPCIS_DEPTH is refused as EPCIS_TOO_DEEP before any recursive walk can overflow the stack.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EpcisError, extractEvents, parseEpcisDocument, validateEpcisDocument } from '../../../trace/epcis/index.ts';
import { MAX_EPCIS_DEPTH } from '../../../trace/epcis/validate.ts';
import { anyJson, mutate } from '../../reliability/schema-arbitrary.ts';
import { FIXTURE_NAMES, documentOf, fixture } from './helpers.ts';

const CODES = /^EPCIS_[A-Z_]+$/;

function only(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof EpcisError)) throw err;
    expect(err.code).toMatch(CODES);
  }
}

const mutatedFixture = fc
  .tuple(fc.constantFrom(...FIXTURE_NAMES), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.constantFrom('replace', 'delete', 'add') as fc.Arbitrary<'replace' | 'delete' | 'add'>, anyJson)
  .map(([name, path, how, junk]) => mutate(fixture(name), path, how, junk));

/** `levels` nested arrays: [[[…]]]. */
const nestedArrays = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown;

describe('EPCIS validation and extraction on fuzzed documents', () => {
  it('every fixture is valid as it stands (the mutations start from real documents)', () => {
    for (const name of FIXTURE_NAMES) expect(extractEvents(fixture(name)).events.length).toBeGreaterThan(0);
  });

  it('a fixture with one part replaced, removed or added: events, or EpcisError', () => {
    fc.assert(
      fc.property(mutatedFixture, (doc) => only(() => extractEvents(doc))),
      { numRuns: 500 },
    );
  });

  it('garbage values and text: EpcisError', () => {
    fc.assert(
      fc.property(anyJson, fc.string(), (value, text) => {
        only(() => validateEpcisDocument(value));
        only(() => parseEpcisDocument(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('deeply nested documents', () => {
  it(`refuses nesting past ${MAX_EPCIS_DEPTH} levels as EPCIS_TOO_DEEP, even 100,000 levels deep`, () => {
    for (const levels of [MAX_EPCIS_DEPTH, 1_000, 100_000]) {
      const event = { ...fixture('object-commissioning.jsonld').epcisBody.eventList[0], 'example:deep': nestedArrays(levels) };
      const doc = { ...documentOf([event], { example: 'https://example.org/ns/' }) };
      let code: string | undefined;
      try {
        extractEvents(doc);
      } catch (err) {
        code = (err as EpcisError).code;
      }
      expect(code).toBe('EPCIS_TOO_DEEP');
    }
  });

  it('accepts an extension nested well within the limit', () => {
    const event = { ...fixture('object-commissioning.jsonld').epcisBody.eventList[0], 'example:deep': nestedArrays(MAX_EPCIS_DEPTH - 10) };
    expect(extractEvents(documentOf([event], { example: 'https://example.org/ns/' })).events).toHaveLength(1);
  });

  it('refuses a deep document as text too', () => {
    expect(() => parseEpcisDocument(`{"type":"EPCISDocument","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`)).toThrow(expect.objectContaining({ code: 'EPCIS_TOO_DEEP' }));
  });
});
