import { afterEach, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../../ledger/verify.ts';
import { answerBeforeOversight, observePublicVerify, salesOf, saleOutcome } from '../../../trace/oversight/index.ts';
import { verifyUnit } from '../../../trace/queries/index.ts';
import { ACME_GTIN, refusal, sgtin, type TraceWorld } from '../helpers/chain.ts';
import { acmeProduct, alertsOf, oversightWorld, toPharmacy, unitCodes, withSale } from './helpers.ts';

let world: TraceWorld;
afterEach(() => world?.close());

describe('duplicate-code detector', () => {
  it('fires when a second pharmacy presents a code already sold (the refused dispense is the evidence)', () => {
    world = oversightWorld();
    const [code] = unitCodes('D', 1);
    toPharmacy(world, [code!]);
    const f = world.events;
    const sold = world.capture('pharm1', [withSale(f.dispense([code!], world.parties.pharm1.gln), 'RCPT-1')]);
    expect(alertsOf(world, 'duplicate-code')).toEqual([]);
    const err = refusal(() => world.capture('pharm2', [withSale(f.dispense([code!], world.parties.pharm2.gln), 'RCPT-77')]));
    expect(err.code).toBe('TRACE_ALREADY_DISPENSED');
    const [alert] = alertsOf(world, 'duplicate-code');
    expect(alert).toMatchObject({ detector: 'duplicate-code', version: '1.0.0', subject: code, status: 'open', severity: 'high' });
    expect(alert!.parties).toEqual(['pharm1', 'pharm2']);
    expect(alert!.evidence.positions).toEqual([{ position: sold.position, item: 0 }]);
    expect(alert!.evidence.observations).toHaveLength(1);
    expect(alert!.details.sales).toMatchObject([{ sale: 'urn:epcglobal:cbv:bt:0614144000010:RCPT-1', party: 'pharm1' }, { sale: 'urn:epcglobal:cbv:bt:0614144000010:RCPT-77', party: 'pharm2' }]);
  });

  it('does not fire for a retry of the same sale, nor for a sale undone and sold again', () => {
    world = oversightWorld();
    const [a, b] = unitCodes('R', 2);
    toPharmacy(world, [a!, b!]);
    const f = world.events;
    const g = world.parties.pharm1.gln;
    world.capture('pharm1', [withSale(f.dispense([a!], g), 'RCPT-1')]);
    expect(refusal(() => world.capture('pharm1', [withSale(f.dispense([a!], g), 'RCPT-1')])).code).toBe('TRACE_ALREADY_DISPENSED');
    world.capture('pharm1', [withSale(f.dispense([b!], g), 'RCPT-2')]);
    world.capture('pharm1', [f.undoDispense([b!], g)]);
    world.capture('pharm1', [withSale(f.dispense([b!], g), 'RCPT-3')]);
    expect(alertsOf(world, 'duplicate-code')).toEqual([]);
    expect(salesOf(world.ledger.store.sql, b!).map((s) => s.sale)).toEqual(['urn:epcglobal:cbv:bt:0614144000010:RCPT-3']);
  });

  it('answers the four public sale outcomes and alerts when a pack of another sale is presented', () => {
    world = oversightWorld();
    const [none, once, twice] = unitCodes('P', 3);
    toPharmacy(world, [none!, once!, twice!]);
    const f = world.events;
    world.capture('pharm1', [withSale(f.dispense([once!], world.parties.pharm1.gln), 'RCPT-9')]);
    world.capture('pharm1', [withSale(f.dispense([twice!], world.parties.pharm1.gln), 'RCPT-10')]);
    refusal(() => world.capture('pharm2', [withSale(f.dispense([twice!], world.parties.pharm2.gln), 'RCPT-11')]));
    const ask = (code: string, sale: string) => observePublicVerify(world.ledger, verifyUnit(world.ledger, code), sale)!.outcome;
    expect(ask(none!, 'RCPT-9')).toBe('no_sale');
    expect(ask(once!, 'RCPT-9')).toBe('sold_once_this_sale');
    expect(alertsOf(world, 'duplicate-code').map((a) => a.subject)).toEqual([twice]);
    expect(ask(once!, 'RCPT-404')).toBe('sold_once_other_sale');
    expect(ask(twice!, 'RCPT-10')).toBe('sold_more_than_once');
    expect(alertsOf(world, 'duplicate-code').map((a) => a.subject).sort()).toEqual([once, twice].sort());
    expect(saleOutcome([], 'x')).toBe('no_sale');
  });
});

describe('unknown-code detector', () => {
  it('fires on a capture refused for a code never commissioned and on a public verify of an unknown code', () => {
    world = oversightWorld();
    const fake = sgtin(ACME_GTIN, 'FAKE1');
    const err = refusal(() => world.capture('pharm1', [world.events.dispense([fake], world.parties.pharm1.gln)]));
    expect(err.code).toBe('TRACE_NOT_COMMISSIONED');
    expect(alertsOf(world, 'unknown-code')).toMatchObject([{ subject: fake, parties: ['pharm1'], severity: 'high' }]);
    const other = sgtin(ACME_GTIN, 'FAKE2');
    observePublicVerify(world.ledger, verifyUnit(world.ledger, other));
    expect(alertsOf(world, 'unknown-code').map((a) => a.subject)).toEqual([other, fake]);
  });

  it('does not fire for a verify of a commissioned code, nor raise a second alert for the same code', () => {
    world = oversightWorld();
    const [code] = unitCodes('K', 1);
    toPharmacy(world, [code!]);
    expect(observePublicVerify(world.ledger, verifyUnit(world.ledger, code!))).toBeUndefined();
    const fake = sgtin(ACME_GTIN, 'FAKE3');
    observePublicVerify(world.ledger, verifyUnit(world.ledger, fake));
    observePublicVerify(world.ledger, verifyUnit(world.ledger, fake));
    expect(alertsOf(world, 'unknown-code').map((a) => a.subject)).toEqual([fake]);
    expect(world.ledger.store.sql.prepare('SELECT COUNT(*) FROM oversight_observations').pluck().get()).toBe(2);
  });
});

describe('diversion detector', () => {
  it('fires when a pharmacy dispenses a unit that was shipped to another pharmacy', () => {
    world = oversightWorld();
    const [code] = unitCodes('V', 1);
    toPharmacy(world, [code!], 'pharm1');
    const r = world.capture('pharm2', [world.events.dispense([code!], world.parties.pharm2.gln)]);
    const [alert] = alertsOf(world, 'diversion');
    expect(alert).toMatchObject({ subject: code, severity: 'high', details: { action: 'dispense', party: 'pharm2', custodian: 'pharm1' } });
    expect(alert!.parties.sort()).toEqual(['pharm1', 'pharm2']);
    expect(alert!.evidence.positions.at(-1)).toEqual({ position: r.position, item: 0 });
  });

  it('fires on a receive refused because the shipment was addressed to someone else', () => {
    world = oversightWorld();
    const [code] = unitCodes('W', 1);
    const f = world.events;
    const p = world.parties;
    world.capture('acme', [f.commission([code!], p.acme.gln, { lot: 'L1' }), f.ship([code!], p.acme.gln, p.dist.gln)]);
    expect(refusal(() => world.capture('dist2', [f.receive([code!], p.dist2.gln)])).code).toBe('TRACE_NOT_DESTINATION');
    expect(alertsOf(world, 'diversion')).toMatchObject([{ subject: code, details: { party: 'dist2', shippedTo: 'dist' } }]);
  });

  it('does not fire along a normal chain, for a shipment to no known destination received by its pharmacy, or for a regulator inspection', () => {
    world = oversightWorld();
    const [a, b] = unitCodes('N', 2);
    toPharmacy(world, [a!]);
    world.capture('pharm1', [world.events.dispense([a!], world.parties.pharm1.gln)]);
    const f = world.events;
    const p = world.parties;
    world.capture('acme', [f.commission([b!], p.acme.gln, { lot: 'L1' }), f.ship([b!], p.acme.gln)]);
    world.capture('nmpa', [f.observe([b!], p.nmpa.gln)]);
    world.capture('pharm2', [f.receive([b!], p.pharm2.gln), f.dispense([b!], p.pharm2.gln)]);
    expect(alertsOf(world, 'diversion')).toEqual([]);
  });
});

describe('recalled-expired detector', () => {
  it('fires when a recalled unit and an expired unit are presented for dispensing', () => {
    world = oversightWorld();
    const [recalled] = unitCodes('X', 1);
    const [old] = unitCodes('Y', 1);
    toPharmacy(world, [recalled!], 'pharm1', { lot: 'BAD' });
    toPharmacy(world, [old!], 'pharm1', { lot: 'OLD', expiry: '2026-03-01' });
    world.recall('acme', ACME_GTIN, 'BAD');
    const f = world.events;
    expect(refusal(() => world.capture('pharm1', [f.dispense([recalled!], world.parties.pharm1.gln)])).code).toBe('TRACE_RECALLED');
    f.advanceDays(3);
    expect(refusal(() => world.capture('pharm1', [f.dispense([old!], world.parties.pharm1.gln)])).code).toBe('TRACE_EXPIRED');
    const alerts = alertsOf(world, 'recalled-expired');
    expect(alerts.map((a) => [a.subject, a.details.reason, a.severity])).toEqual([
      [old, 'expired', 'medium'],
      [recalled, 'recalled', 'high'],
    ]);
    expect(alerts[1]!.parties).toEqual(['pharm1']);
  });

  it('does not fire for a unit dispensed on its expiry day, nor for a recalled unit shipped back', () => {
    world = oversightWorld();
    const [a] = unitCodes('Z', 1);
    const [b] = unitCodes('Q', 1);
    toPharmacy(world, [a!], 'pharm1', { lot: 'EXP', expiry: '2026-03-01' });
    toPharmacy(world, [b!], 'pharm1', { lot: 'BAD2' });
    world.recall('acme', ACME_GTIN, 'BAD2');
    const f = world.events;
    world.capture('pharm1', [f.ship([b!], world.parties.pharm1.gln, world.parties.dist.gln)]);
    world.capture('pharm1', [f.dispense([a!], world.parties.pharm1.gln)]);
    expect(alertsOf(world, 'recalled-expired')).toEqual([]);
  });
});

describe('cold-chain detector', () => {
  const reading = (time: string, value: number) => ({ type: 'gs1:Temperature', time, value, uom: 'CEL' });
  const withSensor = (event: Record<string, unknown>, reports: unknown[]) => ({ ...event, sensorElementList: [{ sensorMetadata: { deviceID: 'urn:epc:id:giai:4000001.111' }, sensorReport: reports }] });

  it('fires on readings above a vaccine’s 2–8 °C range for 40 minutes, with duration and severity', () => {
    world = oversightWorld();
    acmeProduct(world, 'vaccine', { min: 2, max: 8 });
    const codes = unitCodes('C', 3);
    const f = world.events;
    const p = world.parties;
    world.capture('acme', [f.commission(codes, p.acme.gln, { lot: 'V1' }), f.ship(codes, p.acme.gln, p.dist.gln)]);
    const received = world.capture('dist', [
      withSensor(f.receive(codes, p.dist.gln), [
        reading('2026-03-01T07:00:00Z', 5),
        reading('2026-03-01T07:10:00Z', 9.5),
        reading('2026-03-01T07:30:00Z', 12),
        reading('2026-03-01T07:50:00Z', 6),
      ]),
    ]);
    const [alert] = alertsOf(world, 'cold-chain');
    expect(alert).toMatchObject({ subject: ACME_GTIN, severity: 'high', parties: ['dist'], evidence: { positions: [{ position: received.position, item: 0 }] } });
    expect(alert!.details).toMatchObject({ units: 3, range: { min: 2, max: 8 }, excursions: [{ minutes: 40, deviation: 4, direction: 'above', freeze: false }] });
  });

  it('does not fire on a short small blip, nor for a product with no storage range', () => {
    world = oversightWorld();
    acmeProduct(world, 'vaccine', { min: 2, max: 8 });
    const codes = unitCodes('B', 1);
    const f = world.events;
    const p = world.parties;
    world.capture('acme', [f.commission(codes, p.acme.gln, { lot: 'V1' }), f.ship(codes, p.acme.gln, p.dist.gln)]);
    world.capture('dist', [withSensor(f.receive(codes, p.dist.gln), [reading('2026-03-01T07:00:00Z', 5), reading('2026-03-01T07:05:00Z', 8.6), reading('2026-03-01T07:10:00Z', 7)])]);
    expect(alertsOf(world, 'cold-chain')).toEqual([]);
  });
});

describe('volume-anomaly detector', () => {
  it("fires when a pharmacy's special-drug dispensing jumps far above its own daily history, not on its usual days", () => {
    world = oversightWorld();
    acmeProduct(world, 'special_drug');
    const f = world.events;
    const g = world.parties.pharm1.gln;
    const codes = unitCodes('S', 60);
    toPharmacy(world, codes);
    let next = 0;
    // 20 ordinary days of 1–2 units each.
    for (let day = 0; day < 20; day++) {
      f.advanceDays(1);
      world.capture('pharm1', [f.dispense(codes.slice(next, next + 1 + (day % 2)), g)]);
      next += 1 + (day % 2);
    }
    expect(alertsOf(world, 'volume-anomaly')).toEqual([]);
    f.advanceDays(1);
    world.capture('pharm1', [f.dispense(codes.slice(next, next + 12), g)]);
    const [alert] = alertsOf(world, 'volume-anomaly');
    expect(alert).toMatchObject({ subject: 'pharm1', parties: ['pharm1'], details: { count: 12, median: 1.5 } });
    expect(alert!.details.z as number).toBeGreaterThan(3.5);
  });
});

describe('alerts', () => {
  it('change no unit and leave a ledger that verifies', () => {
    world = oversightWorld();
    const [code] = unitCodes('U', 1);
    toPharmacy(world, [code!], 'pharm1');
    world.capture('pharm2', [world.events.dispense([code!], world.parties.pharm2.gln)]);
    expect(alertsOf(world, 'diversion')).toHaveLength(1);
    expect(world.unit(code!)).toMatchObject({ status: 'dispensed', dispensed_party: 'pharm2' });
    expect(verifyLedger(world.ledger.store).ok).toBe(true);
  });
});

describe('when the detectors run', () => {
  it('before captureDocument returns, outside an answerBeforeOversight scope (the CLI)', () => {
    world = oversightWorld();
    const [code] = unitCodes('T', 1);
    toPharmacy(world, [code!], 'pharm1');
    world.capture('pharm2', [world.events.dispense([code!], world.parties.pharm2.gln)]);
    expect(alertsOf(world, 'diversion')).toHaveLength(1);
  });

  it("inside one (the API's capture routes), on the event loop's next turn: after the answer, for captures and for refusals", async () => {
    world = oversightWorld();
    const [code, never] = unitCodes('S', 2);
    toPharmacy(world, [code!], 'pharm1');
    answerBeforeOversight(() => world.capture('pharm2', [world.events.dispense([code!], world.parties.pharm2.gln)]));
    expect(refusal(() => answerBeforeOversight(() => world.capture('pharm1', [world.events.dispense([never!], world.parties.pharm1.gln)]))).code).toBe('TRACE_NOT_COMMISSIONED');
    expect(alertsOf(world, 'diversion')).toEqual([]);
    expect(alertsOf(world, 'unknown-code')).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(alertsOf(world, 'diversion')).toMatchObject([{ subject: code }]);
    expect(alertsOf(world, 'unknown-code')).toMatchObject([{ subject: never }]);
  });
});
