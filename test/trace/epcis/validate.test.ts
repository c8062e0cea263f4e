import { describe, expect, it } from 'vitest';
import { EpcisError, type SchemaViolation } from '../../../trace/epcis/errors.ts';
import { parseEpcisDocument, validateEpcisDocument } from '../../../trace/epcis/validate.ts';
import { FIXTURE_NAMES, fixture, type JsonDoc } from './helpers.ts';

function refusal(input: unknown): EpcisError {
  try {
    validateEpcisDocument(input);
  } catch (error) {
    expect(error).toBeInstanceOf(EpcisError);
    return error as EpcisError;
  }
  throw new Error('expected the document to be refused');
}

const shipping = () => fixture('transaction-shipping.jsonld');
const event0 = '/epcisBody/eventList/0';

describe('validateEpcisDocument', () => {
  for (const name of FIXTURE_NAMES) {
    it(`accepts ${name}`, () => {
      const doc = fixture(name);
      expect(validateEpcisDocument(doc)).toBe(doc);
    });
  }

  it('accepts an EPCISQueryDocument', () => {
    const doc = shipping();
    const query = {
      '@context': doc['@context'],
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: '2026-03-02T07:00:00Z',
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: doc.epcisBody.eventList } } },
    };
    expect(validateEpcisDocument(query).type).toBe('EPCISQueryDocument');
  });

  describe('refuses what is not an EPCIS document', () => {
    const cases: Array<[string, unknown, string | undefined]> = [
      ['null', null, ''],
      ['an array', [shipping()], ''],
      ['a string', 'EPCISDocument', ''],
      ['an object without type', { epcisBody: {} }, '/type'],
      ['a single event', shipping().epcisBody.eventList[0], '/type'],
      ['another type', { ...shipping(), type: 'EPCISMasterDataDocument' }, '/type'],
    ];
    for (const [what, input, path] of cases) {
      it(`${what} → EPCIS_NOT_A_DOCUMENT`, () => {
        const error = refusal(input);
        expect(error.code).toBe('EPCIS_NOT_A_DOCUMENT');
        expect(error.details.path).toBe(path);
      });
    }

    it('text that is not JSON → EPCIS_NOT_A_DOCUMENT', () => {
      expect(() => parseEpcisDocument('{"type": "EPCISDocument",')).toThrowError(expect.objectContaining({ code: 'EPCIS_NOT_A_DOCUMENT' }));
      expect(parseEpcisDocument(JSON.stringify(shipping())).type).toBe('EPCISDocument');
    });
  });

  describe('schema violations: exact code, path and rule', () => {
    const cases: Array<[string, (d: JsonDoc) => void, string, string]> = [
      ['missing eventTime', (d) => delete d.epcisBody.eventList[0].eventTime, `${event0}/eventTime`, 'required'],
      ['missing eventTimeZoneOffset', (d) => delete d.epcisBody.eventList[0].eventTimeZoneOffset, `${event0}/eventTimeZoneOffset`, 'required'],
      ['eventTime that is not a date-time', (d) => (d.epcisBody.eventList[0].eventTime = 'yesterday'), `${event0}/eventTime`, 'format'],
      ['eventTimeZoneOffset of the wrong shape', (d) => (d.epcisBody.eventList[0].eventTimeZoneOffset = '+1:00'), `${event0}/eventTimeZoneOffset`, 'pattern'],
      ['bad eventType', (d) => (d.epcisBody.eventList[0].type = 'ObjectEvnt'), `${event0}/type`, 'format'],
      ['epcList that is not an array', (d) => (d.epcisBody.eventList[0].epcList = 'urn:epc:id:sscc:9521234.0000000001'), `${event0}/epcList`, 'type'],
      ['an EPC that is not a URI', (d) => (d.epcisBody.eventList[0].epcList = ['not a uri']), `${event0}/epcList/0`, 'format'],
      ['bizStep neither a CBV term nor a URI', (d) => (d.epcisBody.eventList[0].bizStep = 'shiping'), `${event0}/bizStep`, 'anyOf'],
      ['a bizStep in EPCIS 1.x URN form (2.0 JSON wants the bare term)', (d) => (d.epcisBody.eventList[0].bizStep = 'urn:epcglobal:cbv:bizstep:shipping'), `${event0}/bizStep`, 'anyOf'],
      ['disposition neither a CBV term nor a URI', (d) => (d.epcisBody.eventList[0].disposition = 'lost'), `${event0}/disposition`, 'anyOf'],
      ['action outside ADD/OBSERVE/DELETE', (d) => (d.epcisBody.eventList[0].action = 'MOVE'), `${event0}/action`, 'enum'],
      ['source type neither CBV nor URI', (d) => (d.epcisBody.eventList[0].sourceList[0].type = 'owner'), `${event0}/sourceList/0/type`, 'anyOf'],
      ['readPoint without id', (d) => (d.epcisBody.eventList[0].readPoint = {}), `${event0}/readPoint/id`, 'required'],
      ['quantity that is not a number', (d) => (d.epcisBody.eventList[1].quantityList[0].quantity = 'ten'), '/epcisBody/eventList/1/quantityList/0/quantity', 'type'],
      ['an unprefixed unknown event field', (d) => (d.epcisBody.eventList[0].foo = 1), `${event0}/foo`, 'propertyNames'],
      ['missing @context', (d) => delete d['@context'], '/@context', 'required'],
      ['missing epcisBody', (d) => delete d.epcisBody, '/epcisBody', 'required'],
      ['missing creationDate', (d) => delete d.creationDate, '/creationDate', 'required'],
      ['schemaVersion as a number', (d) => (d.schemaVersion = 2), '/schemaVersion', 'type'],
      ['eventList that is not an array', (d) => (d.epcisBody.eventList = {}), '/epcisBody/eventList', 'type'],
    ];
    for (const [what, mutate, path, rule] of cases) {
      it(`${what} → EPCIS_SCHEMA at ${path} (${rule})`, () => {
        const doc = shipping();
        mutate(doc);
        const error = refusal(doc);
        expect(error.code).toBe('EPCIS_SCHEMA');
        const violations = error.details.violations as SchemaViolation[];
        expect(violations.some((v) => v.path === path && v.rule === rule), JSON.stringify(violations, null, 1)).toBe(true);
        for (const v of violations) {
          expect(v.schemaPath).toMatch(/^#/);
          expect(v.message.length).toBeGreaterThan(0);
          expect(error.message).toContain(v.path || '/');
        }
      });
    }
  });

  it('lists every violation of a document in one refusal, each with its path', () => {
    const doc = shipping();
    delete doc.epcisBody.eventList[0].eventTime;
    doc.epcisBody.eventList[0].bizStep = 'shiping';
    doc.epcisBody.eventList[1].action = 'MOVE';
    doc.epcisBody.eventList[1].quantityList[0].quantity = 'two';
    const error = refusal(doc);
    const paths = (error.details.violations ?? []).map((v) => `${v.path} ${v.rule}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        `${event0}/eventTime required`,
        `${event0}/bizStep anyOf`,
        '/epcisBody/eventList/1/action enum',
        '/epcisBody/eventList/1/quantityList/0/quantity type',
      ]),
    );
    // No duplicates and no if/then wrappers.
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.some((p) => p.endsWith(' if'))).toBe(false);
  });

  it('explains an anyOf refusal with the alternatives that failed', () => {
    const doc = shipping();
    doc.epcisBody.eventList[0].bizStep = 'shiping';
    const violation = refusal(doc).details.violations!.find((v) => v.path === `${event0}/bizStep`)!;
    expect(violation.message).toContain('must be equal to one of the allowed values');
    expect(violation.message).toContain('must match format "uri"');
  });

  it('accepts company-specific vocabulary written as URIs and prefixed extensions', () => {
    const doc = shipping();
    doc['@context'].push({ acme: 'https://acme.example/epcis/' });
    doc.epcisBody.eventList[0].bizStep = 'https://acme.example/bizstep/quarantine-release';
    doc.epcisBody.eventList[0]['acme:pallets'] = 3;
    expect(() => validateEpcisDocument(doc)).not.toThrow();
  });
});
