import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { fromHex, toHex, utf8 } from '../../ledger/bytes.ts';

// RFC 8032 §7.1 test vectors (TEST 1, 2, 3, 1024, SHA(abc)).
const TEST_1024_MESSAGE = [
  '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1',
  'e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d',
  '658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a',
  '7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e',
  '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10',
  '3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1',
  '85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d',
  '502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270',
  '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b',
  'eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba',
  'b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b',
  'e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7',
  '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d',
  'cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df',
  'f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7',
  '984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4',
  '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09',
  '43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f',
  'b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161',
  '0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d',
  'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca',
  'c60c905c15fc910840b94c00a0b9d0',
].join('');

const RFC8032 = [
  {
    name: 'TEST 1',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    secret: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    publicKey: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message: TEST_1024_MESSAGE,
    signature: '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    publicKey: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature: 'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
];

/** The Ed25519 group order L, little-endian, as signatures encode S. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
function leToBigint(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}
function bigintToLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

const backends = [nodeCrypto, nobleCrypto];

describe.each(backends)('Ed25519 on $name', (backend) => {
  const { ed25519 } = backend;

  it.each(RFC8032)('reproduces RFC 8032 §7.1 $name: public key, signature, verification', (v) => {
    const secret = fromHex(v.secret);
    const message = fromHex(v.message);
    expect(toHex(ed25519.publicKey(secret))).toBe(v.publicKey);
    expect(toHex(ed25519.sign(secret, message))).toBe(v.signature);
    expect(ed25519.verify(fromHex(v.publicKey), message, fromHex(v.signature))).toBe(true);
  });

  it('refuses a vector signature over a changed message or under another key', () => {
    const [t1, t2] = RFC8032;
    expect(ed25519.verify(fromHex(t2.publicKey), fromHex(t2.message), fromHex(t2.signature))).toBe(true);
    expect(ed25519.verify(fromHex(t2.publicKey), fromHex('73'), fromHex(t2.signature))).toBe(false);
    expect(ed25519.verify(fromHex(t1.publicKey), fromHex(t2.message), fromHex(t2.signature))).toBe(false);
  });

  it('refuses a non-canonical S (S + L), which would verify if S were reduced', () => {
    const v = RFC8032[2];
    const sig = fromHex(v.signature);
    const s = leToBigint(sig.subarray(32));
    const forged = new Uint8Array(sig);
    forged.set(bigintToLe(s + L, 32), 32);
    expect(ed25519.verify(fromHex(v.publicKey), fromHex(v.message), forged)).toBe(false);
    // S = L exactly, and S = 2^256 - 1, are also out of range.
    forged.set(bigintToLe(L, 32), 32);
    expect(ed25519.verify(fromHex(v.publicKey), fromHex(v.message), forged)).toBe(false);
    forged.fill(0xff, 32);
    expect(ed25519.verify(fromHex(v.publicKey), fromHex(v.message), forged)).toBe(false);
  });

  describe('returns false, never throws, on malformed input', () => {
    const v = RFC8032[1];
    const pk = fromHex(v.publicKey);
    const msg = fromHex(v.message);
    const sig = fromHex(v.signature);
    const cases: Array<[string, unknown, unknown, unknown]> = [
      ['31-byte public key', pk.subarray(1), msg, sig],
      ['33-byte public key', new Uint8Array([...pk, 0]), msg, sig],
      ['empty public key', new Uint8Array(0), msg, sig],
      ['63-byte signature', pk, msg, sig.subarray(1)],
      ['65-byte signature', pk, msg, new Uint8Array([...sig, 0])],
      ['empty signature', pk, msg, new Uint8Array(0)],
      ['all-zero signature', pk, msg, new Uint8Array(64)],
      ['all-ones public key (not a curve point encoding)', new Uint8Array(32).fill(0xff), msg, sig],
      ['public key that is not on the curve', fromHex('0200000000000000000000000000000000000000000000000000000000000000'), msg, sig],
      ['string instead of bytes', v.publicKey, msg, sig],
      ['null signature', pk, msg, null],
      ['number message', pk, 42, sig],
      ['array instead of bytes', Array.from(pk), msg, sig],
    ];
    it.each(cases)('%s', (_name, publicKey, message, signature) => {
      expect(ed25519.verify(publicKey as Uint8Array, message as Uint8Array, signature as Uint8Array)).toBe(false);
    });
  });

  it('refuses small-order public keys, under which a trivial signature would "sign" anything', () => {
    // A = identity, R = identity, S = 0 satisfies the cofactorless equation for every message.
    const identity = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
    const trivial = new Uint8Array(64);
    trivial.set(identity, 0);
    expect(ed25519.verify(identity, utf8('any message at all'), trivial)).toBe(false);
    // The order-2 point (0, -1) with the same trick.
    const order2 = fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    expect(ed25519.verify(order2, utf8('any message at all'), trivial)).toBe(false);
  });

  it('refuses a non-canonical public key encoding (y >= p)', () => {
    // y = p + 1 encodes the identity non-canonically.
    const nonCanonical = fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    const trivial = new Uint8Array(64);
    trivial[0] = 1;
    expect(ed25519.verify(nonCanonical, utf8('m'), trivial)).toBe(false);
  });

  it('refuses a signature whose R is not a valid point encoding', () => {
    const v = RFC8032[0];
    const sig = fromHex(v.signature);
    sig.fill(0xff, 0, 32);
    expect(ed25519.verify(fromHex(v.publicKey), fromHex(v.message), sig)).toBe(false);
  });

  it('throws a TypeError when signing with a secret of the wrong length', () => {
    expect(() => ed25519.sign(new Uint8Array(31), utf8('x'))).toThrow(TypeError);
    expect(() => ed25519.publicKey(new Uint8Array(64))).toThrow(TypeError);
  });

  it('generates distinct 32-byte secrets whose signatures verify', () => {
    const a = ed25519.generateSecretKey();
    const b = ed25519.generateSecretKey();
    expect(a).toHaveLength(32);
    expect(toHex(a)).not.toBe(toHex(b));
    const sig = ed25519.sign(a, utf8('hello'));
    expect(ed25519.verify(ed25519.publicKey(a), utf8('hello'), sig)).toBe(true);
    expect(ed25519.verify(ed25519.publicKey(b), utf8('hello'), sig)).toBe(false);
  });

  it('hashes SHA-256 known answers', () => {
    expect(toHex(backend.sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(backend.sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('node:crypto and noble backends', () => {
  it('agree on keys, signatures and verdicts for random seeds and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat(64 * 8 - 1), (seed, message, bit) => {
        const pkNode = nodeCrypto.ed25519.publicKey(seed);
        const pkNoble = nobleCrypto.ed25519.publicKey(seed);
        expect(toHex(pkNode)).toBe(toHex(pkNoble));
        const sigNode = nodeCrypto.ed25519.sign(seed, message);
        expect(toHex(sigNode)).toBe(toHex(nobleCrypto.ed25519.sign(seed, message)));
        expect(nodeCrypto.ed25519.verify(pkNode, message, sigNode)).toBe(true);
        expect(nobleCrypto.ed25519.verify(pkNode, message, sigNode)).toBe(true);
        const flipped = new Uint8Array(sigNode);
        flipped[bit >> 3] ^= 1 << (bit & 7);
        const verdictNode = nodeCrypto.ed25519.verify(pkNode, message, flipped);
        expect(verdictNode).toBe(false);
        expect(nobleCrypto.ed25519.verify(pkNode, message, flipped)).toBe(verdictNode);
      }),
      { numRuns: 60 },
    );
  });

  it('agree on SHA-256 of random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(toHex(nodeCrypto.sha256(data))).toBe(toHex(nobleCrypto.sha256(data)));
      }),
      { numRuns: 100 },
    );
  });
});
