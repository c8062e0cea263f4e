import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { fromHex, utf8 } from '../../ledger/bytes.ts';
import {
  MAX_SIGNATURES,
  NoteError,
  addSignatures,
  computeKeyId,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatNote,
  formatSignerKey,
  formatVerifierKey,
  noteVerifierFromKey,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  type NoteVerifier,
} from '../../ledger/note.ts';

// Public test vectors of golang.org/x/mod/sumdb/note (key strings, text, signatures).
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// Our own deterministic key: seed = SHA-256("drugtrace test operator key").
const OWN_SEED = fromHex('15b00ed2b984f74d04b44102f2590f9a715c55cfd2f9dc73a7c9445ae970ff80');
const OWN_NAME = 'drugtrace.example/log';
const OWN_VKEY = 'drugtrace.example/log+284ffed7+ARIY68sEIB0HSPitpCj1FNGA4eJOeZXZVGSm13iZvSUl';
const OWN_SKEY = 'PRIVATE+KEY+drugtrace.example/log+284ffed7+ARWwDtK5hPdNBLRBAvJZD5pxXFXP0vncc6fJRFrpcP+A';
const OWN_TEXT = 'drugtrace.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n';
const OWN_NOTE = `${OWN_TEXT}\n— drugtrace.example/log KE/+13cJ3lGjyMDHZRJ+zVm4WgHnuVkKc130Gu1PbNQ9t8JdB5C7ts/1knvj6nMyrjd+VGornH80g1B9y+8rWWbYDAU=\n`;

function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof NoteError) return e.code;
    throw e;
  }
  return 'no error';
}

describe.each([nodeCrypto, nobleCrypto])('signed notes on $name', (backend) => {
  const peter = () => noteVerifierFromKey(backend, PETER_VKEY);
  const enoch = () => noteVerifierFromKey(backend, ENOCH_VKEY);

  it('reproduces the sumdb/note signature from the Go test signer key', () => {
    const signer = parseSignerKey(backend, PETER_SKEY);
    expect(signer.vkey).toBe(PETER_VKEY);
    expect(signNote(TEXT, [signer])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('opens a note signed by two known keys, in order', () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter(), enoch()]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verified.map((s) => [s.name, s.keyId])).toEqual([
      ['PeterNeumann', 0xc74f20a3],
      ['EnochRoot', 0xaf0cfe78],
    ]);
    expect(opened.unverified).toEqual([]);
  });

  it('ignores signatures by unknown keys instead of failing', () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter()]);
    expect(opened.verified).toHaveLength(1);
    expect(opened.unverified.map((s) => s.name)).toEqual(['EnochRoot']);
  });

  it('treats a key with the same name but another key ID as unknown', () => {
    const other = ed25519NoteSigner(backend, 'PeterNeumann', OWN_SEED);
    const verifier = ed25519NoteVerifier(backend, 'PeterNeumann', other.publicKey);
    expect(errorCode(() => openNote(`${TEXT}\n${PETER_SIG}`, [verifier]))).toBe('NOTE_UNVERIFIED');
  });

  it('fails the whole note when a known key signature does not verify', () => {
    const tampered = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(errorCode(() => openNote(tampered, [peter()]))).toBe('NOTE_INVALID_SIGNATURE');
    expect(errorCode(() => openNote(`${TEXT.replace('problem', 'problems')}\n${PETER_SIG}`, [peter()]))).toBe('NOTE_INVALID_SIGNATURE');
  });

  it('fails when no signature is by a known key', () => {
    expect(errorCode(() => openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, []))).toBe('NOTE_UNVERIFIED');
  });

  it('refuses ambiguous verifier lists only when the ambiguous key signed', () => {
    expect(errorCode(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch(), peter(), enoch()]))).toBe('NOTE_AMBIGUOUS_KEY');
    expect(openNote(`${TEXT}\n${PETER_SIG}`, [enoch(), peter(), enoch()]).verified).toHaveLength(1);
  });

  it('counts a duplicated signature once', () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}`, [peter()]);
    expect(opened.verified).toHaveLength(1);
  });

  it('signs and verifies with our own deterministic key (known answer)', () => {
    const signer = parseSignerKey(backend, OWN_SKEY);
    expect(signer.vkey).toBe(OWN_VKEY);
    expect(formatSignerKey(backend, OWN_NAME, OWN_SEED)).toBe(OWN_SKEY);
    expect(signNote(OWN_TEXT, [signer])).toBe(OWN_NOTE);
    expect(openNote(OWN_NOTE, [noteVerifierFromKey(backend, OWN_VKEY)]).text).toBe(OWN_TEXT);
  });

  it('adds a signature to a signed note and replaces one by the same key', () => {
    const own = parseSignerKey(backend, OWN_SKEY);
    const both = addSignatures(`${TEXT}\n${PETER_SIG}`, [own]);
    const opened = openNote(both, [peter(), noteVerifierFromKey(backend, OWN_VKEY)]);
    expect(opened.verified.map((s) => s.name)).toEqual(['PeterNeumann', OWN_NAME]);
    const peterSigner = parseSignerKey(backend, PETER_SKEY);
    const resigned = signNote(TEXT, [peterSigner], [{ name: 'PeterNeumann', keyId: 0xc74f20a3, signature: new Uint8Array(64) }]);
    expect(resigned).toBe(`${TEXT}\n${PETER_SIG}`);
  });
});

describe('signed note syntax errors', () => {
  const sig = PETER_SIG;
  it.each([
    ['text only, no blank line', TEXT, 'NOTE_NO_SIGNATURES'],
    ['blank line but no signatures', `${TEXT}\n`, 'NOTE_NO_SIGNATURES'],
    ['last signature line without newline', `${TEXT}\n${sig.slice(0, -1)}`, 'NOTE_BAD_SIGNATURE_LINE'],
    ['control character in the text', `\x01${TEXT}\n${sig}`, 'NOTE_CONTROL_CHARACTER'],
    ['carriage return line ending', `${TEXT.replace('\n', '\r\n')}\n${sig}`, 'NOTE_CONTROL_CHARACTER'],
    ['tab in a signature line', `${TEXT}\n— PeterNeumann\tx08g\n`, 'NOTE_CONTROL_CHARACTER'],
    ['key name with a space', `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`, 'NOTE_BAD_SIGNATURE_ENCODING'],
    ['key name with a plus', `${TEXT}\n— Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`, 'NOTE_BAD_KEY_NAME'],
    ['empty key name', `${TEXT}\n—  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`, 'NOTE_BAD_KEY_NAME'],
    ['unexpected line after the signatures', `${TEXT}\n${sig}Unexpected line.\n`, 'NOTE_BAD_SIGNATURE_LINE'],
    ['hyphen instead of em dash', `${TEXT}\n${sig.replace('—', '-')}`, 'NOTE_BAD_SIGNATURE_LINE'],
    ['en dash instead of em dash', `${TEXT}\n${sig.replace('—', '\u2013')}`, 'NOTE_BAD_SIGNATURE_LINE'],
    ['no space after the name', `${TEXT}\n— PeterNeumann\n`, 'NOTE_BAD_SIGNATURE_LINE'],
    ['signature not base64', `${TEXT}\n— PeterNeumann not*base64\n`, 'NOTE_BAD_SIGNATURE_ENCODING'],
    ['unpadded base64', `${TEXT}\n— PeterNeumann ${sig.trim().split(' ')[2].replace(/=+$/, '')}\n`, 'NOTE_BAD_SIGNATURE_ENCODING'],
    ['signature shorter than 5 bytes', `${TEXT}\n— PeterNeumann AAAAAA==\n`, 'NOTE_BAD_SIGNATURE_ENCODING'],
    ['too many signatures', `${TEXT}\n${sig.repeat(MAX_SIGNATURES + 1)}`, 'NOTE_TOO_MANY_SIGNATURES'],
    ['lone surrogate', `\ud800${TEXT}\n${sig}`, 'NOTE_NOT_UTF8'],
  ])('%s -> %s', (_name, note, code) => {
    expect(errorCode(() => parseNote(note))).toBe(code);
  });

  it('refuses invalid UTF-8 bytes', () => {
    const bytes = new Uint8Array([0xff, ...utf8(`${TEXT}\n${sig}`)]);
    expect(errorCode(() => parseNote(bytes))).toBe('NOTE_NOT_UTF8');
  });

  it('splits at the last blank line, so the text may contain blank lines', () => {
    const text = 'first\n\nsecond\n';
    const note = parseNote(`${text}\n${sig}`);
    expect(note.text).toBe(text);
    expect(note.signatures).toHaveLength(1);
  });

  it('refuses to format a note whose text does not end with a newline', () => {
    expect(errorCode(() => formatNote({ text: 'abc', signatures: [{ name: 'a', keyId: 1, signature: new Uint8Array(64) }] }))).toBe('NOTE_TEXT_NOT_TERMINATED');
    expect(errorCode(() => signNote('abc', [parseSignerKey(nodeCrypto, PETER_SKEY)]))).toBe('NOTE_TEXT_NOT_TERMINATED');
    expect(errorCode(() => formatNote({ text: 'a\n', signatures: [] }))).toBe('NOTE_NO_SIGNATURES');
    expect(errorCode(() => formatNote({ text: 'a\n', signatures: [{ name: 'a b', keyId: 1, signature: new Uint8Array(64) }] }))).toBe('NOTE_BAD_KEY_NAME');
  });
});

describe('verifier and signer keys', () => {
  it('computes key IDs as SHA-256(name || 0x0A || type || key)[:4]', () => {
    const parsed = parseVerifierKey(nodeCrypto.sha256, PETER_VKEY);
    expect(parsed.keyId).toBe(0xc74f20a3);
    expect(computeKeyId(nodeCrypto.sha256, 'PeterNeumann', 0x01, parsed.publicKey)).toBe(0xc74f20a3);
    expect(formatVerifierKey(nodeCrypto.sha256, 'PeterNeumann', 0x01, parsed.publicKey)).toBe(PETER_VKEY);
  });

  it('refuses every truncation and every single-character change of a verifier key', () => {
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if (i === 0 && j === PETER_VKEY.length) continue;
        expect(() => noteVerifierFromKey(nodeCrypto, PETER_VKEY.slice(i, j))).toThrow(NoteError);
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      const changed = PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1);
      expect(() => noteVerifierFromKey(nodeCrypto, changed)).toThrow(NoteError);
    }
  });

  it.each([
    ['missing parts', 'PeterNeumann+c74f20a3', 'NOTE_BAD_VERIFIER_KEY'],
    ['uppercase key ID', 'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'NOTE_BAD_VERIFIER_KEY'],
    ['short key ID', 'PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'NOTE_BAD_VERIFIER_KEY'],
    ['key ID of another key', 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'NOTE_KEY_ID_MISMATCH'],
    ['name with a space', 'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'NOTE_BAD_VERIFIER_KEY'],
    ['wrong key length (Go test vector)', 'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==', 'NOTE_BAD_VERIFIER_KEY'],
    ['unknown algorithm (Go test vector)', 'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'NOTE_UNKNOWN_KEY_TYPE'],
    ['not base64', 'PeterNeumann+c74f20a3+!!!!', 'NOTE_BAD_VERIFIER_KEY'],
  ])('refuses a verifier key with %s -> %s', (_name, vkey, code) => {
    expect(errorCode(() => noteVerifierFromKey(nodeCrypto, vkey))).toBe(code);
  });

  it.each([
    ['no prefix', PETER_SKEY.slice('PRIVATE+KEY+'.length), 'NOTE_BAD_SIGNER_KEY'],
    ['wrong key ID', PETER_SKEY.replace('c74f20a3', 'c74f20a4'), 'NOTE_KEY_ID_MISMATCH'],
    ['other name', PETER_SKEY.replace('PeterNeumann', 'PeterNeuman'), 'NOTE_KEY_ID_MISMATCH'],
    ['truncated seed', PETER_SKEY.slice(0, -4), 'NOTE_BAD_SIGNER_KEY'],
    ['verifier key given as signer key', `PRIVATE+KEY+${PETER_VKEY}`, 'NOTE_KEY_ID_MISMATCH'],
  ])('refuses a signer key with %s -> %s', (_name, skey, code) => {
    expect(errorCode(() => parseSignerKey(nodeCrypto, skey))).toBe(code);
  });

  it('a verifier only accepts 64-byte Ed25519 signatures', () => {
    const v: NoteVerifier = noteVerifierFromKey(nodeCrypto, PETER_VKEY);
    const sig = parseNote(`${TEXT}\n${PETER_SIG}`).signatures[0].signature;
    expect(v.verify(utf8(TEXT), sig)).toBe(true);
    expect(v.verify(utf8(TEXT), new Uint8Array([...sig, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(false);
  });
});
