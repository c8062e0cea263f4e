/** A small hand-built log for bundle tests (ledger and CLI): no store, no checks of its own. */
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { fromBase64, toBase64, toHex, utf8 } from '../../ledger/bytes.ts';
import { MemorySubtreeSource, inclusionProof } from '../../ledger/merkle.ts';
import { signCheckpoint } from '../../ledger/checkpoint.ts';
import { ed25519NoteSigner } from '../../ledger/note.ts';
import { GENESIS_PREV, entryBytes, itemTree, signDocument, type EntryKind, type JsonObject, type StoredEntry } from '../../ledger/entry.ts';
import { keyIdFor } from '../../ledger/keys.ts';
import { buildBundle, type ProofBundle } from '../../ledger/bundle.ts';

export const backend = nodeCrypto;
export const h = backend.sha256;
export const ORIGIN = 'drugtrace.example/log';
export const seed = (n: number) => new Uint8Array(32).fill(n);
export const OPERATOR_SEED = seed(42);
export const operatorPub = backend.ed25519.publicKey(OPERATOR_SEED);
export const operatorKeyId = keyIdFor(h, operatorPub);
export const ACME_SEED = seed(7);
export const acmePub = backend.ed25519.publicKey(ACME_SEED);
export const acmeKeyId = keyIdFor(h, acmePub);

/** A test log built entry by entry with no checks of its own, so tests can also write bad history. */
export class TestLog {
  readonly tree = new MemorySubtreeSource(h);
  readonly entries: Uint8Array[] = [];
  readonly items = new Map<number, Uint8Array[]>();
  readonly operator = ed25519NoteSigner(backend, ORIGIN, OPERATOR_SEED);

  append(kind: EntryKind, payload: JsonObject, signer: { party: string; keyId: string; secret: Uint8Array }, items?: Uint8Array[], tamperSignature = false): number {
    const doc = signDocument({ kind, signer: { party: signer.party, keyId: signer.keyId }, claimedTime: '2026-11-27T16:00:00Z', payload, items }, signer.secret, backend);
    const position = this.entries.length;
    const prev = position === 0 ? GENESIS_PREV : toHex(h(this.entries[position - 1]));
    let signature = doc.signature;
    if (tamperSignature) {
      const sig = fromBase64(signature);
      sig[0] ^= 1;
      signature = toBase64(sig);
    }
    const stored: StoredEntry = { position, prev, receivedAt: '2026-11-27T16:00:01.000Z', body: doc.body, signature };
    const bytes = entryBytes(stored);
    this.entries.push(bytes);
    this.tree.appendEntry(bytes);
    if (items) this.items.set(position, items);
    return position;
  }

  checkpoint(size = this.entries.length): string {
    return signCheckpoint({ origin: ORIGIN, size, rootHash: this.tree.root(size), extensions: [] }, this.operator);
  }

  bundle(indexes: number[], opts: { itemIndexes?: Record<number, number[]>; checkpoint?: string; withData?: boolean; witnesses?: string[] } = {}): ProofBundle {
    const checkpoint = opts.checkpoint ?? this.checkpoint();
    const size = Number(checkpoint.split('\n')[1]);
    return buildBundle({
      checkpoint,
      operatorKey: this.operator.vkey,
      witnesses: opts.witnesses,
      entries: indexes.map((index) => {
        const docItems = this.items.get(index);
        const wanted = opts.itemIndexes?.[index] ?? [];
        const tree = docItems ? itemTree(h, docItems.map((b) => h(b))) : undefined;
        return {
          index,
          bytes: this.entries[index],
          proof: inclusionProof(h, index, size, this.tree),
          items: wanted.map((i) => ({ index: i, hash: h(docItems![i]), path: tree!.paths[i], data: opts.withData ? docItems![i] : undefined })),
        };
      }),
    });
  }
}

export const operatorSigner = { party: 'operator', keyId: operatorKeyId, secret: OPERATOR_SEED };
export const acmeSigner = { party: 'acme', keyId: acmeKeyId, secret: ACME_SEED };

/** genesis, party, key, a 5-item capture by acme, a single capture by acme. */
export function standardLog(): TestLog {
  const log = new TestLog();
  log.append('key_registration', { party: 'operator', keyId: operatorKeyId, publicKey: toBase64(operatorPub), origin: ORIGIN }, operatorSigner);
  log.append('party_registration', { party: 'acme', name: 'ACME Pharma' }, operatorSigner);
  log.append('key_registration', { party: 'acme', keyId: acmeKeyId, publicKey: toBase64(acmePub) }, operatorSigner);
  log.append('capture', { lot: 'L1' }, acmeSigner, [0, 1, 2, 3, 4].map((i) => utf8(`event ${i}`)));
  log.append('capture', { lot: 'L2' }, acmeSigner);
  return log;
}

