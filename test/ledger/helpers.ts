/** Fixtures for the ledger store tests: parties with keys, deterministic batch documents. */
import { ed25519, nodeCrypto, sha256 } from '../../ledger/crypto-node.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from '../../ledger/note.ts';
import { MemoryWitnessStore, Witness } from '../../ledger/witness.ts';
import { signDocument, type EntryKind, type JsonObject, type SignedDocument } from '../../ledger/entry.ts';
import type { Ledger } from '../../ledger/ledger.ts';
import { utf8 } from '../../ledger/bytes.ts';

export const crypto = { sha256, ed25519 };

export interface TestParty {
  party: string;
  keyId: string;
  secret: Uint8Array;
}

/** Registers a party and one fresh key for it in `ledger`. */
export function addParty(ledger: Ledger, party: string): TestParty {
  ledger.registerParty(party, { name: `${party} Ltd` });
  const secret = ed25519.generateSecretKey();
  const { keyId } = ledger.registerKey(party, ed25519.publicKey(secret));
  return { party, keyId, secret };
}

/** A deterministic event-like item (about 300 bytes of JSON). */
export function item(doc: number, index: number): Uint8Array {
  return utf8(
    JSON.stringify({
      type: 'ObjectEvent',
      eventTime: '2026-11-27T10:00:00.000Z',
      epcList: [`urn:epc:id:sgtin:0614141.107346.${doc}-${index}`],
      action: 'OBSERVE',
      bizStep: 'urn:epcglobal:cbv:bizstep:shipping',
      disposition: 'urn:epcglobal:cbv:disp:in_transit',
      readPoint: { id: 'urn:epc:id:sgln:0614141.00777.0' },
    }),
  );
}

export function batchDocument(by: TestParty, doc: number, itemCount: number, kind: EntryKind = 'capture', payload: JsonObject = {}): SignedDocument {
  const items = Array.from({ length: itemCount }, (_, i) => item(doc, i));
  return signDocument(
    { kind, signer: { party: by.party, keyId: by.keyId }, claimedTime: '2026-11-27T10:00:00.000Z', payload: { doc, ...payload }, items: itemCount > 0 ? items : undefined },
    by.secret,
    crypto,
  );
}

export function plainDocument(by: TestParty, kind: EntryKind, payload: JsonObject): SignedDocument {
  return signDocument({ kind, signer: { party: by.party, keyId: by.keyId }, claimedTime: '2026-11-27T10:00:00.000Z', payload }, by.secret, crypto);
}

/** Runs `fn` and returns the LedgerError code it throws (or 'no error'). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** A witness that follows `ledger`'s log, with a fresh key and a fixed clock. */
export function witnessFor(ledger: Ledger): Witness {
  return new Witness({
    name: 'witness.example/w1',
    secretKey: ed25519.generateSecretKey(),
    backend: nodeCrypto,
    logs: [{ origin: ledger.origin, operatorKeys: [formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey)] }],
    store: new MemoryWitnessStore(),
    now: () => 1_790_000_000,
  });
}

/** Signs a checkpoint of the ledger as it is, has a new witness cosign it, and stores the cosignature. */
export async function cosignLatestCheckpoint(ledger: Ledger): Promise<{ size: number; witness: Witness }> {
  const cp = ledger.checkpoint();
  const witness = witnessFor(ledger);
  const cosigned = await witness.cosign({ checkpoint: cp.note, proof: [] });
  ledger.addCosignature(cp.size, { name: witness.name, publicKey: witness.publicKey }, cosigned.line);
  return { size: cp.size, witness };
}
