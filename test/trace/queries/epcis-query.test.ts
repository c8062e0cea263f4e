import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractEvents, validateEpcisDocument, type EpcisDocumentJson } from '../../../trace/epcis/index.ts';
import { exportEpcisDocument, QueryError, queryEvents, type EpcisQueryParams } from '../../../trace/queries/index.ts';
import { ACME_GTIN, CHAIN, sgtin, TraceWorld } from '../helpers/chain.ts';
import { demoFixture, type DemoFixture } from './demo-fixture.ts';

let f: DemoFixture;
beforeAll(() => {
  f = demoFixture();
});
afterAll(() => f?.close());

const places = (params: EpcisQueryParams) => queryEvents(f.ledger, params).map((e) => `${e.position}.${e.item}`);
const count = (params: EpcisQueryParams) => queryEvents(f.ledger, params).length;
const gln = (party: string) => f.demo.parties.find((p) => p.id === party)!.gln;

describe('queryEvents (EPCIS query subset)', () => {
  it('returns every captured event in ledger order without parameters, with its original JSON', () => {
    const all = queryEvents(f.ledger);
    expect(all).toHaveLength(44);
    expect(all[0]).toMatchObject({ position: 17, item: 0, eventType: 'ObjectEvent', bizStep: 'commissioning', party: 'mah-huaxin', erroneous: false });
    expect(all[0].source).toMatchObject({ type: 'ObjectEvent', action: 'ADD', eventTime: '2026-03-02T09:00:00.000+08:00' });
  });

  it('keeps only the events one party signed when scoped to it, before the limit counts', () => {
    const all = queryEvents(f.ledger);
    const party = all[all.length - 1].party;
    const own = all.filter((e) => e.party === party);
    expect(own.length).toBeGreaterThan(1);
    expect(own.length).toBeLessThan(all.length);
    expect(queryEvents(f.ledger, {}, { party }).map((e) => `${e.position}.${e.item}`)).toEqual(own.map((e) => `${e.position}.${e.item}`));
    expect(queryEvents(f.ledger, { eventCountLimit: 1 }, { party }).map((e) => e.party)).toEqual([party]);
    expect(queryEvents(f.ledger, {}, { party: 'nobody' })).toEqual([]);
  });

  it('filters by eventType, one or several', () => {
    expect(count({ eventType: 'AggregationEvent' })).toBe(17);
    expect(count({ eventType: 'ObjectEvent' })).toBe(27);
    expect(count({ eventType: ['ObjectEvent', 'AggregationEvent'] })).toBe(44);
    expect(count({ eventType: 'TransformationEvent' })).toBe(0);
  });

  it('filters by bizStep in any of its written forms', () => {
    for (const form of ['shipping', 'cbv:BizStep-shipping', 'https://ref.gs1.org/cbv/BizStep-shipping', 'urn:epcglobal:cbv:bizstep:shipping']) {
      expect(count({ EQ_bizStep: form })).toBe(9);
    }
    expect(count({ EQ_bizStep: ['dispensing', 'receiving'] })).toBe(6 + 8);
  });

  it('filters by disposition', () => {
    expect(places({ EQ_disposition: 'returned' })).toEqual(['32.0', '33.0']);
    expect(places({ EQ_disposition: 'stolen' })).toEqual(['34.0']);
  });

  it('filters by a time range: GE inclusive, LT exclusive, any offset', () => {
    expect(places({ GE_eventTime: '2026-03-07T00:00:00+08:00', LT_eventTime: '2026-03-08T00:00:00+08:00' })).toEqual(['28.0', '29.0', '30.0', '30.1', '31.0', '31.1']);
    expect(places({ GE_eventTime: '2026-03-07T02:00:00Z', LT_eventTime: '2026-03-07T03:00:00.000Z' })).toEqual(['28.0']);
  });

  it('matches EPCs as EPCIS does: MATCH_epc (epcList, childEPCs), MATCH_parentID, MATCH_anyEPC', () => {
    const pallet = f.demo.pallets[0].code;
    expect(places({ MATCH_epc: pallet })).toEqual(['19.0', '20.0']);
    expect(places({ MATCH_parentID: pallet })).toEqual(['18.7', '22.0']);
    expect(places({ MATCH_anyEPC: pallet })).toEqual(['18.7', '19.0', '20.0', '22.0']);
    // A unit is matched by the events naming it, not by its pallet's (those are in its history).
    const unit = f.demo.units.A2601[2];
    expect(places({ MATCH_epc: unit })).toEqual(['17.0', '18.0', '24.1']);
  });

  it('matches a code given as an element string or EPC URN', () => {
    const unit = f.demo.units.A2601[2];
    const serial = unit.split('/21/')[1];
    expect(places({ MATCH_epc: `(01)09521234000013(21)${serial}` })).toEqual(['17.0', '18.0', '24.1']);
    expect(places({ MATCH_epc: `urn:epc:id:sgtin:9521234.000001.${serial}` })).toEqual(['17.0', '18.0', '24.1']);
  });

  it('filters by bizLocation and readPoint, given as GLN or Digital Link', () => {
    expect(places({ EQ_bizLocation: gln('pharmacy-5') })).toEqual(['27.0', '27.1', '27.2', '31.0', '31.1']);
    expect(count({ EQ_readPoint: `https://id.gs1.org/414/${gln('dist-north')}` })).toBe(6);
  });

  it('combines parameters with AND and stops at eventCountLimit', () => {
    expect(places({ eventType: 'ObjectEvent', EQ_bizStep: 'receiving', EQ_bizLocation: gln('pharmacy-3') })).toEqual(['26.0', '26.1']);
    expect(places({ eventCountLimit: 2 })).toEqual(['17.0', '17.1']);
  });

  it.each<[string, EpcisQueryParams, string]>([
    ['an unknown parameter', { EQ_foo: 'x' } as EpcisQueryParams, 'EQ_foo'],
    ['an unknown event type', { eventType: 'FooEvent' }, 'eventType'],
    ['a malformed time', { GE_eventTime: '2026-13-01T00:00:00Z' }, 'GE_eventTime'],
    ['a time without offset', { LT_eventTime: '2026-03-01T00:00:00' }, 'LT_eventTime'],
    ['a zero limit', { eventCountLimit: 0 }, 'eventCountLimit'],
    ['a fractional limit', { eventCountLimit: 1.5 }, 'eventCountLimit'],
    ['a malformed EPC', { MATCH_epc: 'urn:epc:id:sgtin:123' }, 'MATCH_epc'],
    ['an empty list', { EQ_bizStep: [] }, 'EQ_bizStep'],
    ['a GLN with a wrong check digit', { EQ_bizLocation: '9521405000003' }, 'EQ_bizLocation'],
  ])('refuses %s with TRACE_QUERY_BAD_PARAMETER naming it', (_, params, param) => {
    try {
      queryEvents(f.ledger, params);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).code).toBe('TRACE_QUERY_BAD_PARAMETER');
      expect((err as QueryError).details.param).toBe(param);
    }
  });
});

describe('exportEpcisDocument', () => {
  it('exports query results as an EPCIS 2.0 document that passes the schema', () => {
    const doc = exportEpcisDocument(queryEvents(f.ledger), { creationDate: '2026-03-20T00:00:00Z' });
    expect(() => validateEpcisDocument(doc)).not.toThrow();
    expect(doc.epcisBody.eventList).toHaveLength(44);
    expect(doc).toMatchObject({ type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-03-20T00:00:00Z' });
  });

  it('keeps every event hashing to its ledger hash ID, and gives it that ID as eventID', () => {
    const events = queryEvents(f.ledger, { EQ_bizStep: 'shipping' });
    const doc = exportEpcisDocument(events);
    const again = extractEvents(doc as unknown as EpcisDocumentJson).events;
    expect(again.map((e) => e.hashId)).toEqual(events.map((e) => e.hashId));
    expect(doc.epcisBody.eventList.map((e) => e.eventID)).toEqual(events.map((e) => e.hashId));
  });

  it('exports an empty result as a valid empty document', () => {
    const doc = exportEpcisDocument(queryEvents(f.ledger, { eventType: 'TransformationEvent' }));
    expect(doc.epcisBody.eventList).toEqual([]);
    expect(() => validateEpcisDocument(doc)).not.toThrow();
  });
});

describe('queryEvents and corrections', () => {
  it('leaves out events declared erroneous unless asked for them', () => {
    const w = TraceWorld.create();
    try {
      const e = w.events;
      const u = sgtin(ACME_GTIN, 'U1');
      const inspect = e.observe([u], CHAIN.acme.glns[0]);
      w.capture('acme', [e.commission([u], CHAIN.acme.glns[0], { lot: 'L1' }), inspect]);
      w.capture('acme', [e.declareErroneous(inspect)]);
      expect(queryEvents(w.ledger, { MATCH_epc: u }).map((x) => x.bizStep)).toEqual(['commissioning']);
      expect(queryEvents(w.ledger, { MATCH_epc: u, includeErroneous: true }).map((x) => [x.bizStep, x.erroneous])).toEqual([
        ['commissioning', false],
        ['inspecting', true],
      ]);
    } finally {
      w.close();
    }
  });
});
