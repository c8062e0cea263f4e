import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, eventHashId, eventPreHash } from '../../../trace/epcis/event-hash.ts';
import { extractEvents } from '../../../trace/epcis/events.ts';
import { FIXTURE_NAMES, fixture } from './helpers.ts';

const nodeSha256Hex = (text: string) => hash('sha256', text, 'hex');

describe('event hash digest and list order', () => {
  it('gives the same Event Hash ID with a caller-supplied SHA-256 (node:crypto) as with the default', () => {
    let count = 0;
    for (const name of FIXTURE_NAMES) {
      const doc = fixture(name);
      const viaNode = extractEvents(doc, { sha256Hex: nodeSha256Hex }).events.map((e) => e.hashId);
      const viaDefault = extractEvents(doc).events.map((e) => e.hashId);
      expect(viaNode, name).toEqual(viaDefault);
      for (const event of doc.epcisBody.eventList) {
        count++;
        expect(eventHashId(event, { documentContext: doc['@context'], sha256Hex: nodeSha256Hex })).toBe(eventHashId(event, { documentContext: doc['@context'] }));
      }
    }
    expect(count).toBeGreaterThan(5);
  });

  it('orders list elements by code point whether or not they hold surrogate pairs', () => {
    const base = { type: 'ObjectEvent', action: 'OBSERVE', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00' };
    const plain = ['urn:x:b', 'urn:x:B', 'urn:x:a', 'urn:x:ab', 'urn:x:\uFF21'];
    const astral = [...plain, 'urn:x:\u{1F600}'];
    for (const epcList of [plain, astral]) {
      const expected = [...epcList].sort(compareCodePoints).map((e) => `epc=${e}`).join('');
      expect(eventPreHash({ ...base, epcList })).toContain(`epcList${expected}action=`);
    }
    // U+FF21 before U+1F600 by code point (plain UTF-16 comparison would put it after).
    expect(eventPreHash({ ...base, epcList: astral })).toContain('epc=urn:x:\uFF21epc=urn:x:\u{1F600}');
  });
});
