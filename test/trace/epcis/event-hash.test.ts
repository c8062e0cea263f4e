import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpcisError } from '../../../trace/epcis/errors.ts';
import { compareCodePoints, eventHashId, eventPreHash, formatHashNumber, hashIdFromPreHash } from '../../../trace/epcis/event-hash.ts';
import { FIXTURE_NAMES, firstEvent, fixture, type JsonDoc } from './helpers.ts';

const hashOf = (event: unknown, doc?: JsonDoc) => eventHashId(event, { documentContext: doc?.['@context'] });
const preOf = (event: unknown, doc?: JsonDoc) => eventPreHash(event, { documentContext: doc?.['@context'] });
const clone = <T>(value: T): T => structuredClone(value);

/**
 * Known answers: pre-hash strings computed once and checked by hand against the CBV 2.0 rules
 * (field order, UTC millisecond times, EPC URN → Digital Link with check digits recomputed by
 * hand, CBV Web URIs, sorted lists and extensions). The hash is checked against node:crypto too.
 */
const KNOWN_ANSWERS: Array<{ file: string; index: number; preHash: string; hashId: string }> = [
  {
    file: 'object-commissioning.jsonld',
    index: 0,
    preHash:
      'eventType=ObjectEventeventTime=2026-03-01T01:15:27.250ZeventTimeZoneOffset=+08:00' +
      'epcListepc=https://id.gs1.org/01/09521234123453/21/SN1001epc=https://id.gs1.org/01/09521234123453/21/SN1002epc=https://id.gs1.org/01/09521234123453/21/SN1003' +
      'action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-commissioningdisposition=https://ref.gs1.org/cbv/Disp-active' +
      'readPointid=https://id.gs1.org/414/9521234000013bizLocationid=https://id.gs1.org/414/9521234000013' +
      'ilmd{https://drugtrace.example/epcis/}storage=2-8C{urn:epcglobal:cbv:mda:}itemExpirationDate=2028-02-29{urn:epcglobal:cbv:mda:}lotNumber=L2026A' +
      '{https://drugtrace.example/epcis/}line=packaging-line-3' +
      '{https://drugtrace.example/epcis/}operator{https://drugtrace.example/epcis/}badge=42{https://drugtrace.example/epcis/}shift=B',
    hashId: 'ni:///sha-256;7e0d083880e67dcbe0566badd0a4e90e7440fa55cf6cf68fc8b6e51e8c0639e4?ver=CBV2.0',
  },
  {
    file: 'aggregation-packing.jsonld',
    index: 0,
    preHash:
      'eventType=AggregationEventeventTime=2026-03-01T02:00:00.000ZeventTimeZoneOffset=+08:00' +
      'parentID=https://id.gs1.org/00/095212340000000013' +
      'childEPCsepc=https://id.gs1.org/01/09521234123453/21/SN1001epc=https://id.gs1.org/01/09521234123453/21/SN1002epc=https://id.gs1.org/01/09521234123453/21/SN1003' +
      'childQuantityListquantityElementepcClass=https://id.gs1.org/01/09521234123453/10/L2026Aquantity=10uom=H87' +
      'action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-packingdisposition=https://ref.gs1.org/cbv/Disp-container_closed' +
      'readPointid=https://id.gs1.org/414/9521234000013/254/7',
    hashId: 'ni:///sha-256;e10a0a4c11ba9ca869b128ea3842b112d6de2d683d1bfb3bcc2f6c1623107362?ver=CBV2.0',
  },
  {
    file: 'transaction-shipping.jsonld',
    index: 0,
    preHash:
      'eventType=ObjectEventeventTime=2026-03-02T06:05:09.123ZeventTimeZoneOffset=+08:00' +
      'epcListepc=https://id.gs1.org/00/095212340000000013action=OBSERVE' +
      'bizStep=https://ref.gs1.org/cbv/BizStep-shippingdisposition=https://ref.gs1.org/cbv/Disp-in_transit' +
      'readPointid=https://id.gs1.org/414/9521234000013' +
      'bizTransactionListtype=https://ref.gs1.org/cbv/BTT-desadvbizTransaction=urn:epcglobal:cbv:bt:9521234000019:ASN-2026-0301' +
      'type=https://ref.gs1.org/cbv/BTT-pobizTransaction=https://id.gs1.org/253/4012345000016PO77' +
      'destinationListtype=https://ref.gs1.org/cbv/SDT-locationdestination=https://id.gs1.org/414/4012345000016' +
      'type=https://ref.gs1.org/cbv/SDT-owning_partydestination=https://id.gs1.org/417/4012345000009' +
      'sourceListtype=https://ref.gs1.org/cbv/SDT-locationsource=https://id.gs1.org/414/9521234000013' +
      'type=https://ref.gs1.org/cbv/SDT-owning_partysource=https://id.gs1.org/417/9521234000006',
    hashId: 'ni:///sha-256;de3a074b036e5d5e6a7904ac9c465204deef1c42fd16ca7eeb78d30b30095772?ver=CBV2.0',
  },
  {
    file: 'transaction-shipping.jsonld',
    index: 1,
    preHash:
      'eventType=TransactionEventeventTime=2026-03-02T06:05:10.000ZeventTimeZoneOffset=+08:00' +
      'epcListepc=https://id.gs1.org/01/09521234123453/21/SN1001parentID=https://id.gs1.org/00/095212340000000013' +
      'quantityListquantityElementepcClass=https://id.gs1.org/01/09521234123453quantity=2' +
      'action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-shipping' +
      'bizTransactionListtype=https://ref.gs1.org/cbv/BTT-pobizTransaction=https://id.gs1.org/253/4012345000016PO77',
    hashId: 'ni:///sha-256;2f40ea394977d058386bf3c3efd7d542c46a79a34dfd412cea0c61a53e04ffd3?ver=CBV2.0',
  },
  {
    file: 'transformation-repack.jsonld',
    index: 0,
    preHash:
      'eventType=TransformationEventeventTime=2026-03-05T16:45:00.000ZeventTimeZoneOffset=-05:00' +
      'inputEPCListepc=https://id.gs1.org/01/09521234123453/21/SN1001epc=https://id.gs1.org/01/09521234123453/21/SN1002' +
      'inputQuantityListquantityElementepcClass=https://id.gs1.org/01/09521234123453/10/L2026Aquantity=1.5uom=KGM' +
      'outputEPCListepc=https://id.gs1.org/01/14012345543213/21/RP-0001' +
      'outputQuantityListquantityElementepcClass=https://id.gs1.org/01/14012345543213/10/RPL1quantity=20' +
      'transformationID=urn:uuid:2f5d7e0c-9a41-4c43-8f2f-4a1b0c9d8e77' +
      'bizStep=https://ref.gs1.org/cbv/BizStep-repackagingdisposition=https://ref.gs1.org/cbv/Disp-active' +
      'readPointid=https://id.gs1.org/414/4012345000016{https://pharmacy.example/ns/}bench=B-4' +
      'ilmd{urn:epcglobal:cbv:mda:}itemExpirationDate=2027-12-31{urn:epcglobal:cbv:mda:}lotNumber=RPL1',
    hashId: 'ni:///sha-256;5eb268d17bc848389162972078b403a985eb45b944c1179c3691518beb8861d7?ver=CBV2.0',
  },
  {
    file: 'sensor-coldchain.jsonld',
    index: 0,
    preHash:
      'eventType=ObjectEventeventTime=2026-03-03T06:00:00.000ZeventTimeZoneOffset=+00:00' +
      'epcListepc=https://id.gs1.org/00/095212340000000013action=OBSERVE' +
      'bizStep=https://ref.gs1.org/cbv/BizStep-sensor_reportingreadPointid=geo:31.230416,121.473701' +
      'sensorElementListsensorElement' +
      'sensorMetadatatime=2026-03-03T05:59:00.000ZstartTime=2026-03-03T00:00:00.000ZendTime=2026-03-03T05:59:00.000Z' +
      'deviceID=https://id.gs1.org/8004/9521234LOGGER7dataProcessingMethod=https://coldchain.example/methods/avg-5min' +
      'sensorReporttype=https://gs1.org/voc/RelativeHumidityvalue=45uom=P1' +
      'sensorReporttype=https://gs1.org/voc/Temperatureexception=https://gs1.org/voc/ALARM_CONDITIONtime=2026-03-03T03:12:00.500Zvalue=9.2uom=CEL{https://coldchain.example/vocab#}probe=P2' +
      'sensorReporttype=https://gs1.org/voc/Temperaturevalue=4.5minValue=2.1maxValue=7.9meanValue=4.25uom=CEL' +
      '{https://coldchain.example/vocab#}shipmentLeg=2',
    hashId: 'ni:///sha-256;f27350b3c120bc986f2550c91cb8dfa22cbc9118fce59e099883a28508cb4e2f?ver=CBV2.0',
  },
  {
    file: 'error-declaration.jsonld',
    index: 1,
    preHash:
      'eventType=ObjectEventeventTime=2026-03-06T08:30:00.000ZeventTimeZoneOffset=+01:00' +
      'epcListepc=https://id.gs1.org/01/09521234123453/21/SN1003action=OBSERVE' +
      'bizStep=https://ref.gs1.org/cbv/BizStep-holdingdisposition=https://ref.gs1.org/cbv/Disp-recalled' +
      'persistentDispositionset=https://ref.gs1.org/cbv/Disp-recalledunset=https://ref.gs1.org/cbv/Disp-activeunset=https://ref.gs1.org/cbv/Disp-available' +
      'readPointid=https://id.gs1.org/414/4012345000016',
    hashId: 'ni:///sha-256;af62a53ade3e54c827a9dac358a05105b959e5e392b1a17beb70b7449e53f73e?ver=CBV2.0',
  },
];

/** Rebuilds every object with its keys in a shuffled order (arrays keep their order). */
function reorderKeys(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, order));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of order(Object.keys(value))) out[key] = reorderKeys((value as Record<string, unknown>)[key], order);
  return out;
}

/** Shuffles every array of the event (list order carries no meaning in EPCIS). */
function shuffleArrays(value: unknown, pick: (n: number) => number[]): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => shuffleArrays(v, pick));
    return pick(items.length).map((i) => items[i]);
  }
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shuffleArrays(v, pick)]));
}

function permutationFrom(seed: number[]): (keys: string[]) => string[] {
  let i = 0;
  return (keys) => {
    const copy = [...keys];
    for (let j = copy.length - 1; j > 0; j--) {
      const k = seed[i++ % seed.length] % (j + 1);
      [copy[j], copy[k]] = [copy[k], copy[j]];
    }
    return copy;
  };
}

describe('CBV 2.0 Event Hash ID', () => {
  describe('known answers (own fixtures, reviewed against the algorithm)', () => {
    for (const known of KNOWN_ANSWERS) {
      it(`${known.file} event ${known.index} gives the reviewed pre-hash and hash`, () => {
        const doc = fixture(known.file);
        const event = doc.epcisBody.eventList[known.index];
        expect(preOf(event, doc)).toBe(known.preHash);
        expect(hashOf(event, doc)).toBe(known.hashId);
        const viaNodeCrypto = createHash('sha256').update(known.preHash, 'utf8').digest('hex');
        expect(known.hashId).toBe(`ni:///sha-256;${viaNodeCrypto}?ver=CBV2.0`);
      });
    }

    it('hashes the pre-hash string as UTF-8 and writes the RFC 6920 ni URI', () => {
      expect(hashIdFromPreHash('')).toBe('ni:///sha-256;e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855?ver=CBV2.0');
      const text = 'eventType=ObjectEvent{https://ns.example/}name=Zürich 東京';
      expect(hashIdFromPreHash(text)).toBe(`ni:///sha-256;${createHash('sha256').update(text, 'utf8').digest('hex')}?ver=CBV2.0`);
    });
  });

  describe('what does not change the hash', () => {
    it('the order of keys in every JSON object', () => {
      fc.assert(
        fc.property(fc.constantFrom(...KNOWN_ANSWERS), fc.array(fc.nat(), { minLength: 1, maxLength: 16 }), (known, seed) => {
          const doc = fixture(known.file);
          const event = doc.epcisBody.eventList[known.index];
          expect(hashOf(reorderKeys(event, permutationFrom(seed)), doc)).toBe(known.hashId);
        }),
        { numRuns: 60 },
      );
    });

    it('the order of items in every list', () => {
      fc.assert(
        fc.property(fc.constantFrom(...KNOWN_ANSWERS), fc.array(fc.nat(), { minLength: 1, maxLength: 16 }), (known, seed) => {
          const doc = fixture(known.file);
          const event = doc.epcisBody.eventList[known.index];
          const order = permutationFrom(seed);
          const pick = (n: number) => order(Array.from({ length: n }, (_, i) => String(i))).map(Number);
          expect(hashOf(shuffleArrays(event, pick), doc)).toBe(known.hashId);
        }),
        { numRuns: 60 },
      );
    });

    it('recordTime, eventID, errorDeclaration and certificationInfo', () => {
      const { doc, event } = firstEvent('transaction-shipping.jsonld');
      const base = hashOf(event, doc);
      const changed = {
        ...clone(event),
        recordTime: '2030-01-01T00:00:00Z',
        eventID: 'urn:uuid:00000000-0000-4000-8000-000000000000',
        errorDeclaration: { declarationTime: '2030-01-01T00:00:00Z', reason: 'did_not_occur' },
        certificationInfo: 'https://accreditation.example/cert/1',
      };
      expect(hashOf(changed, doc)).toBe(base);
    });

    it('a correction (errorDeclaration) hashes to the event it corrects', () => {
      const original = fixture('transaction-shipping.jsonld');
      const correction = fixture('error-declaration.jsonld');
      expect(hashOf(correction.epcisBody.eventList[0], correction)).toBe(hashOf(original.epcisBody.eventList[0], original));
    });

    it('EPC URNs written as Digital Links on any host, with query strings, lots or short names', () => {
      const { doc, event } = firstEvent('object-commissioning.jsonld');
      const base = hashOf(event, doc);
      const asDigitalLink = clone(event);
      asDigitalLink.epcList = [
        'https://id.gs1.org/01/09521234123453/21/SN1003',
        'https://pharma.example.com/some/prefix/gtin/09521234123453/lot/L2026A/ser/SN1001?17=280229',
        'http://brand.example/01/9521234123453/22/V2/21/SN1002#top',
      ];
      asDigitalLink.readPoint = { id: 'https://locations.example/414/9521234000013' };
      asDigitalLink.bizLocation = { id: 'https://id.gs1.org/414/9521234000013' };
      expect(hashOf(asDigitalLink, doc)).toBe(base);
    });

    it('CBV values as bare terms, EPCIS 1.x URNs, CURIEs or Web URIs', () => {
      const { doc, event } = firstEvent('transaction-shipping.jsonld');
      const base = hashOf(event, doc);
      const urns = clone(event);
      urns.bizStep = 'urn:epcglobal:cbv:bizstep:shipping';
      urns.disposition = 'urn:epcglobal:cbv:disp:in_transit';
      urns.bizTransactionList[0].type = 'urn:epcglobal:cbv:btt:po';
      urns.sourceList[0].type = 'cbv:SDT-owning_party';
      urns.destinationList[1].type = 'https://ref.gs1.org/cbv/SDT-location';
      expect(hashOf(urns, doc)).toBe(base);
    });

    it('the UTC offset a timestamp is written in, and extra or missing fractional digits', () => {
      const { doc, event } = firstEvent('transaction-shipping.jsonld');
      const base = hashOf(event, doc);
      for (const eventTime of ['2026-03-02T06:05:09.123Z', '2026-03-02T01:05:09.1230-05:00', '2026-03-02T06:05:09.12340+00:00', '2026-03-02T14:05:09.123+08:00']) {
        expect(hashOf({ ...clone(event), eventTime }, doc), eventTime).toBe(base);
      }
    });

    it('the prefix a document picks for an extension namespace', () => {
      const doc = fixture('object-commissioning.jsonld');
      const renamed = JSON.parse(JSON.stringify(doc).replace(/"dt:/g, '"drug:').replace('"dt"', '"drug"'));
      expect(hashOf(renamed.epcisBody.eventList[0], renamed)).toBe(hashOf(doc.epcisBody.eventList[0], doc));
    });

    it('a namespace declared in the event’s own @context instead of the document’s', () => {
      const doc = fixture('object-commissioning.jsonld');
      const event = { ...clone(doc.epcisBody.eventList[0]), '@context': { dt: 'https://drugtrace.example/epcis/' } };
      expect(hashOf(event, { '@context': 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld' })).toBe(hashOf(doc.epcisBody.eventList[0], doc));
    });

    it('whitespace around values and trailing zeros of numbers', () => {
      const { doc, event } = firstEvent('aggregation-packing.jsonld');
      const base = hashOf(event, doc);
      const padded = clone(event);
      padded.action = ' ADD ';
      padded.childQuantityList[0].quantity = 10;
      padded.childEPCs[0] = `  ${padded.childEPCs[0]}\n`;
      expect(hashOf(padded, doc)).toBe(base);
    });
  });

  describe('what changes the hash', () => {
    const { doc, event } = firstEvent('transaction-shipping.jsonld');
    const base = hashOf(event, doc);
    const mutations: Array<[string, (e: JsonDoc) => void]> = [
      ['the event type', (e) => (e.type = 'TransactionEvent')],
      ['eventTime by one millisecond', (e) => (e.eventTime = '2026-03-02T14:05:09.124+08:00')],
      ['eventTimeZoneOffset', (e) => (e.eventTimeZoneOffset = '+09:00')],
      ['an EPC', (e) => (e.epcList = ['urn:epc:id:sscc:9521234.0000000002'])],
      ['an added EPC', (e) => e.epcList.push('urn:epc:id:sgtin:9521234.012345.SN1001')],
      ['action', (e) => (e.action = 'ADD')],
      ['bizStep', (e) => (e.bizStep = 'receiving')],
      ['disposition', (e) => (e.disposition = 'in_progress')],
      ['a removed disposition', (e) => delete e.disposition],
      ['readPoint', (e) => (e.readPoint.id = 'urn:epc:id:sgln:9521234.00001.1')],
      ['an added bizLocation', (e) => (e.bizLocation = { id: 'urn:epc:id:sgln:9521234.00001.0' })],
      ['a business transaction type', (e) => (e.bizTransactionList[0].type = 'inv')],
      ['a business transaction id', (e) => (e.bizTransactionList[1].bizTransaction = 'urn:epcglobal:cbv:bt:9521234000019:ASN-2026-0302')],
      ['a source', (e) => (e.sourceList[0].source = 'urn:epc:id:pgln:9521234.00001')],
      ['a destination type', (e) => (e.destinationList[0].type = 'possessing_party')],
      ['source and destination swapped', (e) => ([e.sourceList, e.destinationList] = [
        e.destinationList.map((d: JsonDoc) => ({ type: d.type, source: d.destination })),
        e.sourceList.map((s: JsonDoc) => ({ type: s.type, destination: s.source })),
      ])],
      ['an added user extension', (e) => (e['ex:note'] = 'x')],
      ['an added ilmd', (e) => (e.ilmd = { 'cbvmda:lotNumber': 'L1' })],
    ];
    for (const [what, mutate] of mutations) {
      it(`changes with ${what}`, () => {
        const changed = clone(event);
        mutate(changed);
        expect(hashOf(changed, { '@context': [...doc['@context'], { ex: 'https://ex.example/' }] })).not.toBe(base);
      });
    }

    it('changes with any sensor reading, ILMD value or nested extension value', () => {
      const sensor = firstEvent('sensor-coldchain.jsonld');
      const sensorBase = hashOf(sensor.event, sensor.doc);
      for (const mutate of [
        (e: JsonDoc) => (e.sensorElementList[0].sensorReport[0].value = 4.6),
        (e: JsonDoc) => (e.sensorElementList[0].sensorReport[1].uom = 'P2'),
        (e: JsonDoc) => (e.sensorElementList[0].sensorMetadata.endTime = '2026-03-03T06:00:00Z'),
        (e: JsonDoc) => (e.sensorElementList[0].sensorReport[2]['cc:probe'] = 'P3'),
        (e: JsonDoc) => (e.sensorElementList[0]['cc:shipmentLeg'] = 3),
        (e: JsonDoc) => delete e.sensorElementList[0].sensorReport[2].exception,
      ]) {
        const changed = clone(sensor.event);
        mutate(changed);
        expect(hashOf(changed, sensor.doc)).not.toBe(sensorBase);
      }
      const commissioning = firstEvent('object-commissioning.jsonld');
      const commissioningBase = hashOf(commissioning.event, commissioning.doc);
      for (const mutate of [
        (e: JsonDoc) => (e.ilmd['cbvmda:lotNumber'] = 'L2026B'),
        (e: JsonDoc) => (e.ilmd['cbvmda:itemExpirationDate'] = '2028-03-01'),
        (e: JsonDoc) => (e['dt:operator']['dt:shift'] = 'C'),
      ]) {
        const changed = clone(commissioning.event);
        mutate(changed);
        expect(hashOf(changed, commissioning.doc)).not.toBe(commissioningBase);
      }
    });

    it('moving a value between fields changes the hash even when the texts concatenate alike', () => {
      const { doc, event } = firstEvent('transaction-shipping.jsonld');
      const a = { ...clone(event), 'ex:a': 'xy', 'ex:b': 'z' };
      const b = { ...clone(event), 'ex:a': 'x', 'ex:b': 'yz' };
      const context = { '@context': [...doc['@context'], { ex: 'https://ex.example/' }] };
      expect(hashOf(a, context)).not.toBe(hashOf(b, context));
    });
  });

  describe('refusals', () => {
    const cases: Array<[string, unknown, string, string | undefined]> = [
      ['a non-object event', ['ObjectEvent'], 'EPCIS_NOT_AN_EVENT', undefined],
      ['null', null, 'EPCIS_NOT_AN_EVENT', undefined],
      ['an unknown event type', { type: 'QuantityEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00' }, 'EPCIS_UNKNOWN_EVENT_TYPE', '/type'],
      ['a missing eventTime', { type: 'ObjectEvent', eventTimeZoneOffset: '+00:00', action: 'ADD' }, 'EPCIS_MISSING_FIELD', '/eventTime'],
      ['a missing eventTimeZoneOffset', { type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z' }, 'EPCIS_MISSING_FIELD', '/eventTimeZoneOffset'],
      ['an eventTime without offset', { type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00', eventTimeZoneOffset: '+00:00' }, 'EPCIS_BAD_TIMESTAMP', '/eventTime'],
      ['an epcList that is a string', { type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: 'urn:epc:id:sscc:9521234.0000000001' }, 'EPCIS_BAD_FIELD', '/epcList'],
      ['a readPoint that is a string', { type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', readPoint: 'urn:epc:id:sgln:9521234.00001.0' }, 'EPCIS_BAD_FIELD', '/readPoint'],
      ['an epc that is an object', { type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [{ id: 'x' }] }, 'EPCIS_BAD_FIELD', '/epcList/0'],
      ['a sensor time that is not a timestamp', { type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', sensorElementList: [{ sensorReport: [{ type: 'Temperature', time: 'noon' }] }] }, 'EPCIS_BAD_TIMESTAMP', '/sensorElementList/0/sensorReport/0/time'],
    ];
    for (const [what, event, code, path] of cases) {
      it(`refuses ${what} with ${code}`, () => {
        const error = (() => {
          try {
            eventHashId(event);
          } catch (e) {
            return e;
          }
          throw new Error('expected a refusal');
        })() as EpcisError;
        expect(error).toBeInstanceOf(EpcisError);
        expect(error.code).toBe(code);
        expect(error.details.path).toBe(path);
      });
    }
  });

  it('writes numbers as the reference implementation does (integers in full, exponents below 1e-4)', () => {
    // Expected values are Python's str(int(x)) / repr(x), which the reference implementation uses.
    const cases: Array<[number, string]> = [
      [10.0, '10'],
      [1e21, '1000000000000000000000'],
      [95212340000000013, '95212340000000016'],
      [-0, '0'],
      [0.1, '0.1'],
      [26.2, '26.2'],
      [0.0001, '0.0001'],
      [0.00012, '0.00012'],
      [1e-5, '1e-05'],
      [1.5e-5, '1.5e-05'],
      [-2.5e-5, '-2.5e-05'],
      [1e-7, '1e-07'],
    ];
    for (const [value, text] of cases) expect(formatHashNumber(value), String(value)).toBe(text);
    const event = { type: 'ObjectEvent', eventTime: '2026-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', 'ex:a': '0.000010', 'ex:b': 0.5e-5 };
    expect(eventPreHash(event, { documentContext: { ex: 'https://ex.example/' } })).toContain('{https://ex.example/}a=1e-05{https://ex.example/}b=5e-06');
  });

  it('sorts by code point (UTF-8 order), not by UTF-16 code unit', () => {
    const astral = '\u{1F600}'; // U+1F600, written as a surrogate pair
    const highBmp = '\uFF21'; // U+FF21
    expect(compareCodePoints(highBmp, astral)).toBeLessThan(0);
    expect(highBmp < astral).toBe(false); // what plain comparison would get wrong
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('B', 'a')).toBeLessThan(0);
  });

  it('hashes every fixture event without error and distinctly', () => {
    const hashes = new Set<string>();
    let count = 0;
    for (const name of FIXTURE_NAMES) {
      const doc = fixture(name);
      for (const event of doc.epcisBody.eventList) {
        count++;
        hashes.add(hashOf(event, doc));
      }
    }
    // The error declaration's first event is the shipping event again: one hash shared.
    expect(hashes.size).toBe(count - 1);
  });
});

describe('browser safety', () => {
  it('the event hash and its helpers import no node: modules', async () => {
    const { readFileSync } = await import('node:fs');
    for (const file of ['event-hash.ts', 'hash-identifiers.ts', 'timestamps.ts', 'vocabulary.ts', 'vocabulary-terms.ts', 'errors.ts']) {
      const source = readFileSync(new URL(`../../../trace/epcis/${file}`, import.meta.url), 'utf8');
      expect(source, file).not.toMatch(/from\s+['"]node:/);
      expect(source, file).not.toMatch(/require\(/);
    }
  });
});
