import { describe, expect, it } from 'vitest';
import { EpcisError } from '../../../trace/epcis/errors.ts';
import { eventHashId } from '../../../trace/epcis/event-hash.ts';
import {
  canonicalEpcisIdentifier,
  eventIdentifiers,
  extractEvents,
  normaliseEvent,
  type AggregationEvent,
  type EpcisEvent,
  type ObjectEvent,
  type TransactionEvent,
  type TransformationEvent,
} from '../../../trace/epcis/events.ts';
import { documentOf, fixture, type JsonDoc } from './helpers.ts';

const GTIN = 'https://id.gs1.org/01/09521234123453';
const SSCC = 'https://id.gs1.org/00/095212340000000013';
const SITE = 'https://id.gs1.org/414/9521234000013';
const CBV = 'https://ref.gs1.org/cbv/';

const withoutSource = (event: EpcisEvent) => {
  const { source: _source, ...rest } = event;
  return rest;
};

function refusal(run: () => unknown): EpcisError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EpcisError);
    return error as EpcisError;
  }
  throw new Error('expected a refusal');
}

describe('extractEvents', () => {
  it('normalises an ObjectEvent: canonical identifiers, CBV Web URIs, UTC times, ILMD and extensions by IRI', () => {
    const doc = fixture('object-commissioning.jsonld');
    const [event] = extractEvents(doc).events as ObjectEvent[];
    expect(withoutSource(event)).toEqual({
      type: 'ObjectEvent',
      index: 0,
      hashId: 'ni:///sha-256;7e0d083880e67dcbe0566badd0a4e90e7440fa55cf6cf68fc8b6e51e8c0639e4?ver=CBV2.0',
      eventTime: '2026-03-01T01:15:27.250Z',
      eventTimeZoneOffset: '+08:00',
      recordTime: '2026-03-01T01:15:30.000Z',
      eventID: 'urn:uuid:6f1c2a8e-8d9b-4a8e-9c51-0d6f8a3e2b11',
      certificationInfo: [],
      bizStep: `${CBV}BizStep-commissioning`,
      disposition: `${CBV}Disp-active`,
      readPoint: SITE,
      bizLocation: SITE,
      bizTransactionList: [],
      sourceList: [],
      destinationList: [],
      sensorElementList: [],
      extensions: {
        'https://drugtrace.example/epcis/line': 'packaging-line-3',
        'https://drugtrace.example/epcis/operator': {
          'https://drugtrace.example/epcis/shift': 'B',
          'https://drugtrace.example/epcis/badge': '0042',
        },
      },
      action: 'ADD',
      epcList: [`${GTIN}/21/SN1003`, `${GTIN}/21/SN1001`, `${GTIN}/21/SN1002`],
      quantityList: [],
      ilmd: {
        lotNumber: 'L2026A',
        itemExpirationDate: '2028-02-29',
        fields: {
          'urn:epcglobal:cbv:mda:lotNumber': 'L2026A',
          'urn:epcglobal:cbv:mda:itemExpirationDate': '2028-02-29',
          'https://drugtrace.example/epcis/storage': '2-8C',
        },
      },
    });
    expect(event.source).toEqual(doc.epcisBody.eventList[0]);
  });

  it('normalises AggregationEvents written with URNs and with Digital Links alike', () => {
    const [pack, unpack] = extractEvents(fixture('aggregation-packing.jsonld')).events as AggregationEvent[];
    expect(pack).toMatchObject({
      type: 'AggregationEvent',
      action: 'ADD',
      parentID: SSCC,
      childEPCs: [`${GTIN}/21/SN1001`, `${GTIN}/21/SN1002`, `${GTIN}/21/SN1003`],
      childQuantityList: [{ epcClass: `${GTIN}/10/L2026A`, quantity: 10, uom: 'H87' }],
      bizStep: `${CBV}BizStep-packing`,
      disposition: `${CBV}Disp-container_closed`,
      readPoint: `${SITE}/254/7`,
      eventTime: '2026-03-01T02:00:00.000Z',
    });
    expect(unpack).toMatchObject({
      action: 'DELETE',
      parentID: SSCC,
      childEPCs: [`${GTIN}/21/SN1002`],
      bizStep: `${CBV}BizStep-unpacking`,
      readPoint: 'https://id.gs1.org/414/4012345000016',
      eventTime: '2026-03-04T15:30:00.000Z',
    });
    expect(unpack.disposition).toBeUndefined();
  });

  it('normalises shipping: business transactions, sources and destinations; a TransactionEvent with an EPC pattern', () => {
    const [ship, transaction] = extractEvents(fixture('transaction-shipping.jsonld')).events as [ObjectEvent, TransactionEvent];
    expect(ship.eventTime).toBe('2026-03-02T06:05:09.123Z');
    expect(ship.bizTransactionList).toEqual([
      { type: `${CBV}BTT-po`, bizTransaction: 'https://id.gs1.org/253/4012345000016PO77' },
      { type: `${CBV}BTT-desadv`, bizTransaction: 'urn:epcglobal:cbv:bt:9521234000019:ASN-2026-0301' },
    ]);
    expect(ship.sourceList).toEqual([
      { type: `${CBV}SDT-owning_party`, id: 'https://id.gs1.org/417/9521234000006' },
      { type: `${CBV}SDT-location`, id: SITE },
    ]);
    expect(ship.destinationList).toEqual([
      { type: `${CBV}SDT-owning_party`, id: 'https://id.gs1.org/417/4012345000009' },
      { type: `${CBV}SDT-location`, id: 'https://id.gs1.org/414/4012345000016' },
    ]);
    expect(transaction).toMatchObject({
      type: 'TransactionEvent',
      action: 'ADD',
      parentID: SSCC,
      epcList: [`${GTIN}/21/SN1001`],
      quantityList: [{ epcClass: GTIN, quantity: 2 }],
    });
  });

  it('normalises a TransformationEvent with its inputs, outputs, transformationID and ILMD', () => {
    const [event] = extractEvents(fixture('transformation-repack.jsonld')).events as TransformationEvent[];
    expect(event).toMatchObject({
      type: 'TransformationEvent',
      inputEPCList: [`${GTIN}/21/SN1002`, `${GTIN}/21/SN1001`],
      inputQuantityList: [{ epcClass: `${GTIN}/10/L2026A`, quantity: 1.5, uom: 'KGM' }],
      outputEPCList: ['https://id.gs1.org/01/14012345543213/21/RP-0001'],
      outputQuantityList: [{ epcClass: 'https://id.gs1.org/01/14012345543213/10/RPL1', quantity: 20 }],
      transformationID: 'urn:uuid:2f5d7e0c-9a41-4c43-8f2f-4a1b0c9d8e77',
      bizStep: `${CBV}BizStep-repackaging`,
      readPoint: 'https://id.gs1.org/414/4012345000016',
      ilmd: { lotNumber: 'RPL1', itemExpirationDate: '2027-12-31' },
      eventTime: '2026-03-05T16:45:00.000Z',
    });
    expect('action' in event).toBe(false);
  });

  it('types sensor data: measurement types as GS1 URIs, times in UTC, extensions kept', () => {
    const [event] = extractEvents(fixture('sensor-coldchain.jsonld')).events;
    expect(event.eventTime).toBe('2026-03-03T06:00:00.000Z');
    expect(event.readPoint).toBe('geo:31.230416,121.473701');
    expect(event.sensorElementList).toEqual([
      {
        sensorMetadata: {
          time: '2026-03-03T05:59:00.000Z',
          startTime: '2026-03-03T00:00:00.000Z',
          endTime: '2026-03-03T05:59:00.000Z',
          deviceID: 'urn:epc:id:giai:9521234.LOGGER7',
          dataProcessingMethod: 'https://coldchain.example/methods/avg-5min',
          extensions: {},
        },
        sensorReport: [
          { type: 'https://gs1.org/voc/Temperature', value: 4.5, minValue: 2.1, maxValue: 7.9, meanValue: 4.25, uom: 'CEL', extensions: {} },
          { type: 'https://gs1.org/voc/RelativeHumidity', value: 45, uom: 'P1', extensions: {} },
          {
            type: 'https://gs1.org/voc/Temperature',
            exception: 'https://gs1.org/voc/ALARM_CONDITION',
            time: '2026-03-03T03:12:00.500Z',
            value: 9.2,
            uom: 'CEL',
            extensions: { 'https://coldchain.example/vocab#probe': 'P2' },
          },
        ],
        extensions: { 'https://coldchain.example/vocab#shipmentLeg': 2 },
      },
    ]);
  });

  it('types an error declaration and persistent dispositions; the correction carries the corrected event’s hash', () => {
    const [correction, hold] = extractEvents(fixture('error-declaration.jsonld')).events;
    expect(correction.errorDeclaration).toEqual({
      declarationTime: '2026-03-06T09:00:00.000Z',
      reason: `${CBV}ER-incorrect_data`,
      correctiveEventIDs: ['ni:///sha-256;0000000000000000000000000000000000000000000000000000000000000000?ver=CBV2.0'],
      extensions: {},
    });
    const [original] = extractEvents(fixture('transaction-shipping.jsonld')).events;
    expect(correction.hashId).toBe(original.hashId);
    expect(hold.persistentDisposition).toEqual({ set: [`${CBV}Disp-recalled`], unset: [`${CBV}Disp-active`, `${CBV}Disp-available`] });
    expect(hold.disposition).toBe(`${CBV}Disp-recalled`);
  });

  it('attaches to every event the Event Hash ID of the event as written', () => {
    const doc = fixture('transaction-shipping.jsonld');
    const { events } = extractEvents(doc);
    events.forEach((event, i) => expect(event.hashId).toBe(eventHashId(doc.epcisBody.eventList[i], { documentContext: doc['@context'] })));
  });

  it('gives the same events for a document written with Digital Links instead of EPC URNs', () => {
    const urnDoc = fixture('aggregation-packing.jsonld');
    const dlDoc = fixture('aggregation-packing.jsonld');
    const packing = dlDoc.epcisBody.eventList[0];
    packing.parentID = 'https://logistics.example/00/095212340000000013';
    packing.childEPCs = ['SN1001', 'SN1002', 'SN1003'].map((s) => `https://id.gs1.org/01/09521234123453/10/L2026A/21/${s}?17=280229`);
    packing.childQuantityList[0].epcClass = 'https://pharma.example/01/09521234123453/10/L2026A';
    packing.readPoint.id = 'https://id.gs1.org/414/9521234000013/254/7';
    const fromUrns = extractEvents(urnDoc).events.map(withoutSource);
    const fromLinks = extractEvents(dlDoc).events.map(withoutSource);
    expect(fromLinks).toEqual(fromUrns);
  });

  it('accepts every form of a CBV value and stores the Web URI', () => {
    for (const bizStep of ['shipping', 'cbv:BizStep-shipping', 'https://ref.gs1.org/cbv/BizStep-shipping']) {
      const doc = fixture('transaction-shipping.jsonld');
      doc.epcisBody.eventList[0].bizStep = bizStep;
      expect(extractEvents(doc).events[0].bizStep, bizStep).toBe(`${CBV}BizStep-shipping`);
    }
    // EPCIS 2.0 JSON forbids the 1.x URN form (the schema refuses it); events converted from
    // EPCIS 1.x XML may still carry it, and it normalises the same way.
    const converted = fixture('transaction-shipping.jsonld');
    converted.epcisBody.eventList[0].bizStep = 'urn:epcglobal:cbv:bizstep:shipping';
    expect(extractEvents(converted, { validate: false }).events[0].bizStep).toBe(`${CBV}BizStep-shipping`);
  });

  it('keys extensions by IRI whatever prefix the context chose, or when the event declares it itself', () => {
    const original = fixture('object-commissioning.jsonld');
    const renamed = JSON.parse(JSON.stringify(original).replace(/"dt:/g, '"drug:').replace('"dt"', '"drug"')) as JsonDoc;
    const local = fixture('object-commissioning.jsonld');
    local['@context'] = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];
    local.epcisBody.eventList[0]['@context'] = { dt: 'https://drugtrace.example/epcis/' };
    const [a] = extractEvents(original).events;
    const [b] = extractEvents(renamed).events;
    const [c] = extractEvents(local).events;
    expect(b.extensions).toEqual(a.extensions);
    expect(c.extensions).toEqual(a.extensions);
    expect(b.hashId).toBe(a.hashId);
    expect(c.hashId).toBe(a.hashId);
  });

  it('reads the events of an EPCISQueryDocument', () => {
    const doc = fixture('transaction-shipping.jsonld');
    const query = {
      '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: '2026-03-02T07:00:00Z',
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: doc.epcisBody.eventList } } },
    };
    const { type, events } = extractEvents(query);
    expect(type).toBe('EPCISQueryDocument');
    expect(events.map((e) => e.hashId)).toEqual(extractEvents(doc).events.map((e) => e.hashId));
  });

  it('accepts CN drug traceability codes as EPCs and keeps their URN', () => {
    const doc = documentOf([
      {
        type: 'ObjectEvent',
        eventTime: '2026-03-01T00:00:00+08:00',
        eventTimeZoneOffset: '+08:00',
        epcList: ['urn:cn:nmpa:drugcode:81234567890123456789'],
        action: 'OBSERVE',
        bizStep: 'dispensing',
      },
    ]);
    expect((extractEvents(doc).events[0] as ObjectEvent).epcList).toEqual(['urn:cn:nmpa:drugcode:81234567890123456789']);
  });

  describe('refusals, each with the JSON pointer of the offending value', () => {
    const cases: Array<[string, () => unknown, string, string]> = [
      [
        'a Digital Link with a wrong check digit',
        () => {
          const doc = fixture('aggregation-packing.jsonld');
          doc.epcisBody.eventList[1].childEPCs = ['https://id.gs1.org/01/09521234123459/21/SN1002'];
          return extractEvents(doc);
        },
        'EPCIS_BAD_IDENTIFIER',
        '/epcisBody/eventList/1/childEPCs/0',
      ],
      [
        'a malformed SGTIN URN',
        () => {
          const doc = fixture('object-commissioning.jsonld');
          doc.epcisBody.eventList[0].epcList[2] = 'urn:epc:id:sgtin:9521234.0123456.SN1';
          return extractEvents(doc);
        },
        'EPCIS_BAD_IDENTIFIER',
        '/epcisBody/eventList/0/epcList/2',
      ],
      [
        'a malformed PGLN as a source',
        () => {
          const doc = fixture('transaction-shipping.jsonld');
          doc.epcisBody.eventList[0].sourceList[0].source = 'urn:epc:id:pgln:9521234.0000';
          return extractEvents(doc);
        },
        'EPCIS_BAD_IDENTIFIER',
        '/epcisBody/eventList/0/sourceList/0/source',
      ],
      [
        'a schema violation (extraction validates first)',
        () => {
          const doc = fixture('object-commissioning.jsonld');
          delete doc.epcisBody.eventList[0].action;
          return extractEvents(doc);
        },
        'EPCIS_SCHEMA',
        '',
      ],
      [
        'an event that is not an object (validation skipped)',
        () => extractEvents(documentOf(['not an event']), { validate: false }),
        'EPCIS_NOT_AN_EVENT',
        '/epcisBody/eventList/0',
      ],
      [
        'a document with no event list (validation skipped)',
        () => extractEvents({ type: 'EPCISDocument', epcisBody: {} }, { validate: false }),
        'EPCIS_NOT_A_DOCUMENT',
        '/epcisBody',
      ],
      [
        'a missing action (validation skipped)',
        () => normaliseEvent({ type: 'AggregationEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00' }, { base: '/e' }),
        'EPCIS_MISSING_FIELD',
        '/e/action',
      ],
      [
        'an unknown action (validation skipped)',
        () => normaliseEvent({ type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', action: 'MOVE' }),
        'EPCIS_BAD_FIELD',
        '/action',
      ],
      [
        'a quantity element without epcClass (validation skipped)',
        () =>
          normaliseEvent({ type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', action: 'ADD', quantityList: [{ quantity: 1 }] }),
        'EPCIS_MISSING_FIELD',
        '/quantityList/0/epcClass',
      ],
      [
        'an unknown event type (validation skipped)',
        () => normaliseEvent({ type: 'Event', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00' }),
        'EPCIS_UNKNOWN_EVENT_TYPE',
        '/type',
      ],
    ];
    for (const [what, run, code, path] of cases) {
      it(`${what} → ${code}`, () => {
        const error = refusal(run);
        expect(error.code).toBe(code);
        if (code !== 'EPCIS_SCHEMA') expect(error.details.path).toBe(path);
        expect(error.message.length).toBeGreaterThan(10);
      });
    }
  });
});

describe('canonicalEpcisIdentifier', () => {
  const cases: Array<[string, string]> = [
    ['urn:epc:id:sgtin:9521234.012345.SN1001', `${GTIN}/21/SN1001`],
    ['https://any.example/01/9521234123453/21/SN1001', `${GTIN}/21/SN1001`],
    ['urn:epc:class:lgtin:9521234.012345.L2026A', `${GTIN}/10/L2026A`],
    ['urn:epc:idpat:sgtin:9521234.012345.*', GTIN],
    ['urn:epc:id:sscc:9521234.0000000001', SSCC],
    ['urn:epc:id:sgln:9521234.00001.0', SITE],
    ['urn:epc:id:pgln:4012345.00000', 'https://id.gs1.org/417/4012345000009'],
    ['urn:epc:id:giai:4000001.111', 'https://id.gs1.org/8004/4000001111'],
    ['urn:epc:id:grai:4012345.55555.98765', 'https://id.gs1.org/8003/0401234555555498765'],
    ['geo:31.230416,121.473701', 'geo:31.230416,121.473701'],
    ['urn:uuid:2f5d7e0c-9a41-4c43-8f2f-4a1b0c9d8e77', 'urn:uuid:2f5d7e0c-9a41-4c43-8f2f-4a1b0c9d8e77'],
    ['http://transaction.acme.com/po/12345678', 'http://transaction.acme.com/po/12345678'],
    ['urn:epc:id:gid:95100000.12345.400', 'urn:epc:id:gid:95100000.12345.400'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => expect(canonicalEpcisIdentifier(input)).toBe(expected));
  }

  it('refuses an empty identifier', () => {
    expect(refusal(() => canonicalEpcisIdentifier('  ', '/epcList/0')).code).toBe('EPCIS_BAD_IDENTIFIER');
  });
});

describe('eventIdentifiers', () => {
  it('names the units and containers each event type is about', () => {
    const [pack] = extractEvents(fixture('aggregation-packing.jsonld')).events;
    expect(eventIdentifiers(pack)).toEqual([SSCC, `${GTIN}/21/SN1001`, `${GTIN}/21/SN1002`, `${GTIN}/21/SN1003`]);
    const [repack] = extractEvents(fixture('transformation-repack.jsonld')).events;
    expect(eventIdentifiers(repack)).toEqual([`${GTIN}/21/SN1002`, `${GTIN}/21/SN1001`, 'https://id.gs1.org/01/14012345543213/21/RP-0001']);
    const [, transaction] = extractEvents(fixture('transaction-shipping.jsonld')).events;
    expect(eventIdentifiers(transaction)).toEqual([SSCC, `${GTIN}/21/SN1001`]);
  });
});
