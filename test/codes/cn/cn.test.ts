import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CnCheckRegistry,
  CnCodeError,
  buildCnCode,
  computeCheck,
  digestToFourDigits,
  formatCnCode,
  hmacSha256CheckScheme,
  isValidCnCode,
  parseCnCode,
  publicSha256CheckScheme,
  validateCnCode,
  type CnCheckScheme,
} from '../../../codes/cn/index.ts';

// A fixed test key: bytes 0x00..0x1f. Expected checks were computed independently with
// node:crypto createHmac('sha256', key).update(first16), first 8 bytes big-endian mod 10^4.
const TEST_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const keyed = hmacSha256CheckScheme({ id: 'test-hmac', key: TEST_KEY });

function expectCnError(fn: () => unknown, code: string, position?: number) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CnCodeError);
    expect((err as CnCodeError).code).toBe(code);
    if (position !== undefined) expect((err as CnCodeError).details.position).toBe(position);
    return err as CnCodeError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('keyed HMAC-SHA-256 check scheme', () => {
  it.each([
    ['8123456000000001', '6509'],
    ['8123456123456789', '8122'],
    ['8999999999999999', '1151'],
    ['8000000000000000', '7125'],
  ])('computes the known answer for %s', (first16, check) => {
    expect(keyed.compute(first16)).toBe(check);
    expect(keyed.keyed).toBe(true);
  });

  it('gives different checks under a different key', () => {
    const other = hmacSha256CheckScheme({ key: Uint8Array.from({ length: 32 }, (_, i) => 255 - i) });
    const same = ['8123456000000001', '8123456123456789', '8999999999999999', '8000000000000000'].filter(
      (f) => other.compute(f) === keyed.compute(f),
    );
    expect(same.length).toBeLessThan(2);
  });

  it('refuses a key shorter than 16 bytes', () => {
    expectCnError(() => hmacSha256CheckScheme({ key: new Uint8Array(15) }), 'CN_KEY');
  });

  it('refuses input that is not 16 digits', () => {
    expectCnError(() => keyed.compute('812345600000000'), 'CN_NOT_DIGITS');
    expectCnError(() => keyed.compute('812345600000000A'), 'CN_NOT_DIGITS');
  });
});

describe('public SHA-256 check scheme', () => {
  it.each([
    ['8123456000000001', '7112'],
    ['8123456123456789', '6284'],
    ['8000000000000000', '2000'],
  ])('computes the known answer for %s', (first16, check) => {
    const scheme = publicSha256CheckScheme();
    expect(scheme.compute(first16)).toBe(check);
    expect(scheme.keyed).toBe(false);
  });
});

describe('digestToFourDigits', () => {
  it('reduces the first 8 bytes big-endian modulo 10^4', () => {
    const d = new Uint8Array(32);
    expect(digestToFourDigits(d)).toBe('0000');
    d.fill(0xff, 0, 8); // 2^64 - 1 = 18446744073709551615
    expect(digestToFourDigits(d)).toBe('1615');
    d.fill(0);
    d[7] = 0x27;
    d[6] = 0x0f; // 0x0f27 = 3879
    expect(digestToFourDigits(d)).toBe('3879');
    d[3] = 1; // + 2^32 = 4294967296
    expect(digestToFourDigits(d)).toBe(((4294967296n + 3879n) % 10000n).toString().padStart(4, '0'));
  });

  it('matches BigInt arithmetic for any 8 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        let v = 0n;
        for (const b of bytes) v = (v << 8n) | BigInt(b);
        expect(digestToFourDigits(bytes)).toBe((v % 10000n).toString().padStart(4, '0'));
      }),
    );
  });
});

describe('parseCnCode', () => {
  it('splits a code into resource code, serial and check', () => {
    expect(parseCnCode('81234560000000016509')).toEqual({
      code: '81234560000000016509',
      resourceCode: '8123456',
      serial: '000000001',
      check: '6509',
    });
  });

  it('accepts the printed form with spaces or hyphens', () => {
    expect(parseCnCode('8123456 000000001 6509').code).toBe('81234560000000016509');
    expect(parseCnCode('8123-4560-0000-0001-6509').code).toBe('81234560000000016509');
  });

  it.each([
    ['8123456000000001650', 'CN_LENGTH', undefined],
    ['812345600000000165090', 'CN_LENGTH', undefined],
    ['', 'CN_LENGTH', undefined],
    ['8123456000000001650X', 'CN_NOT_DIGITS', 20],
    ['81234560000000016509\n', 'CN_NOT_DIGITS', 21],
    ['８1234560000000016509', 'CN_NOT_DIGITS', 1],
    ['71234560000000016509', 'CN_PREFIX', 1],
    ['01234560000000016509', 'CN_PREFIX', 1],
  ])('rejects %j with %s', (input, code, position) => {
    expectCnError(() => parseCnCode(input), code, position);
  });
});

describe('validateCnCode', () => {
  it('accepts a code whose check matches the scheme', () => {
    const v = validateCnCode('81234561234567898122', keyed);
    expect(v.serial).toBe('123456789');
    expect(v.schemeId).toBe('test-hmac');
  });

  it('rejects a wrong check without revealing the expected digits', () => {
    const err = expectCnError(() => validateCnCode('81234561234567898123', keyed), 'CN_CHECK_MISMATCH', 17);
    expect(err.message).not.toContain('8122');
    expect(err.details.schemeId).toBe('test-hmac');
  });

  it('rejects a code checked under the wrong scheme', () => {
    const made = buildCnCode('8123456', '123456789', publicSha256CheckScheme());
    expectCnError(() => validateCnCode(made.code, keyed), 'CN_CHECK_MISMATCH');
    expect(isValidCnCode(made.code, publicSha256CheckScheme())).toBe(true);
  });

  it('fails a random guess about 9,999 times in 10,000', () => {
    let passed = 0;
    for (let i = 0; i < 20_000; i++) {
      const guess = '8123456' + String(i * 7919).padStart(9, '0').slice(-9) + String((i * 31) % 10000).padStart(4, '0');
      if (isValidCnCode(guess, keyed)) passed++;
    }
    // Expectation is 2; 12 or more would have probability below 10^-5 for a uniform check.
    expect(passed).toBeLessThan(12);
  });

  it('isValidCnCode returns false for malformed input instead of throwing', () => {
    expect(isValidCnCode('not a code', keyed)).toBe(false);
  });

  it('rejects a scheme that returns something other than 4 digits', () => {
    const broken: CnCheckScheme = { id: 'broken', keyed: false, compute: () => '123' };
    expectCnError(() => computeCheck(broken, '8123456123456789'), 'CN_SCHEME_OUTPUT');
    expectCnError(() => buildCnCode('8123456', '123456789', broken), 'CN_SCHEME_OUTPUT');
  });
});

describe('buildCnCode', () => {
  it('appends the scheme check to resource code and serial', () => {
    expect(buildCnCode('8123456', '000000001', keyed).code).toBe('81234560000000016509');
  });

  it.each([
    ['7123456', '000000001', 'CN_PREFIX'],
    ['812345', '000000001', 'CN_PREFIX'],
    ['8123456', '00000001', 'CN_NOT_DIGITS'],
    ['8123456', '00000000A', 'CN_NOT_DIGITS'],
  ])('rejects resource code %s with serial %s (%s)', (rc, serial, code) => {
    expectCnError(() => buildCnCode(rc, serial, keyed), code);
  });

  it('always builds codes that validate (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^8[0-9]{6}$/), fc.stringMatching(/^[0-9]{9}$/), (rc, serial) => {
        const built = buildCnCode(rc, serial, keyed);
        expect(validateCnCode(built.code, keyed).serial).toBe(serial);
      }),
    );
  });
});

describe('formatCnCode', () => {
  it('groups by field by default, by four on request', () => {
    expect(formatCnCode('81234560000000016509')).toBe('8123456 000000001 6509');
    expect(formatCnCode('81234560000000016509', { grouping: 'fours' })).toBe('8123 4560 0000 0001 6509');
    expect(formatCnCode('8123 4560 0000 0001 6509', { grouping: 'none' })).toBe('81234560000000016509');
  });
});

describe('CnCheckRegistry', () => {
  const pub = publicSha256CheckScheme();
  const narrow = hmacSha256CheckScheme({ id: 'narrow', key: new Uint8Array(16).fill(7) });
  const registry = new CnCheckRegistry()
    .add(keyed, { isDefault: true, issuerId: 'issuer-a' })
    .add(pub, { ranges: [{ from: '8500000', to: '8599999' }], issuerId: 'issuer-b' })
    .add(narrow, { ranges: [{ from: '8510000', to: '8510999' }] });

  it('picks the narrowest range containing the resource code, else the default', () => {
    expect(registry.forResourceCode('8123456').id).toBe('test-hmac');
    expect(registry.forResourceCode('8500001').id).toBe('sha256-public');
    expect(registry.forResourceCode('8510500').id).toBe('narrow');
  });

  it('validates codes through the registry and by issuer', () => {
    const code = buildCnCode('8510500', '999999999', narrow).code;
    expect(validateCnCode(code, registry).schemeId).toBe('narrow');
    expectCnError(() => validateCnCode(code, { registry, issuerId: 'issuer-b' }), 'CN_CHECK_MISMATCH');
    expect(validateCnCode(buildCnCode('8510500', '1'.repeat(9), pub).code, { registry, issuerId: 'issuer-b' }).schemeId).toBe('sha256-public');
  });

  it('names unknown schemes and issuers', () => {
    expectCnError(() => registry.byId('nope'), 'CN_UNKNOWN_SCHEME');
    expectCnError(() => registry.forIssuer('nobody'), 'CN_NO_SCHEME');
    expectCnError(() => new CnCheckRegistry().forResourceCode('8123456'), 'CN_NO_SCHEME');
  });

  it('refuses a second scheme under an id already taken, and malformed ranges', () => {
    expectCnError(() => new CnCheckRegistry().add(keyed).add(hmacSha256CheckScheme({ id: 'test-hmac', key: TEST_KEY })), 'CN_SCHEME_EXISTS');
    expectCnError(() => new CnCheckRegistry().add(pub, { ranges: [{ from: '8599999', to: '8500000' }] }), 'CN_RANGE');
    expectCnError(() => new CnCheckRegistry().add(pub, { ranges: [{ from: '7500000', to: '8500000' }] }), 'CN_RANGE');
  });
});
