import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CnCodeError } from '../../codes/cn/index.ts';
import { DigitalLinkError, GS1Error, parseBracketed, toRaw } from '../../codes/gs1/index.ts';
import { ScanError, readKeystrokes } from '../../scanner/index.ts';
import { cnCode, rng, unitCode } from './helpers/codes.ts';
import { typeThrough } from './helpers/typing.ts';

const layouts = ['us', 'qwertz', 'azerty'] as const;

describe('readKeystrokes properties', () => {
  it('recovers any unit code sent with ]d2 and ^] through any layout, Caps Lock or not, and reports it', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...layouts), fc.boolean(), (seed, layout, caps) => {
        const code = unitCode(rng(seed));
        const sent = ']d2' + toRaw(parseBracketed(code)).replace(/\x1d/g, '^]');
        const r = readKeystrokes(typeThrough(sent, layout, caps));
        expect(r.identifier.kind === 'gs1' && r.identifier.bracketed).toBe(code);
        const kinds = r.corrections.map((c) => c.kind);
        expect(kinds.includes('keyboard-layout')).toBe(layout !== 'us');
        expect(kinds.includes('caps-lock')).toBe(caps);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
  });

  it('recovers any CN code typed through any layout', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(...layouts), (seed, layout) => {
        const code = cnCode(rng(seed));
        const r = readKeystrokes(typeThrough(code, layout));
        expect(r.identifier.kind === 'cn' && r.identifier.cn.code).toBe(code);
      }),
      { numRuns: 100 },
    );
  });

  it('never throws anything but a typed error on arbitrary input', () => {
    const typed = (err: unknown) => err instanceof ScanError || err instanceof GS1Error || err instanceof DigitalLinkError || err instanceof CnCodeError;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.string({ unit: fc.constantFrom(...'0123456789]d2^<GS>{}\x1dABCXYZ&é"\'(-è_çà+ß'), maxLength: 60 }),
          fc.string({ unit: 'binary', maxLength: 40 }),
        ),
        (input) => {
          try {
            readKeystrokes(input);
          } catch (err) {
            if (!typed(err)) throw err;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
