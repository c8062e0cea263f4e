/**
 * `drugtrace ledger verify --server`: a regulator re-verifies a ledger it does not host. The
 * server's newest signed checkpoint is fetched first, then the entries [0, size) it covers
 * (GET /v1/ledger/entries, NDJSON); every entry goes through the same checks as the local verify
 * (ledger/verify.ts checkEntry: canonical bytes, position, chain link, signature under the key
 * state the entries themselves define, items against the signed itemsRoot), and the Merkle root
 * of the entries is computed here and compared with the checkpoint's, whose signature is checked
 * with the operator key of the genesis entry, or with a pinned --operator-key. Nothing the server
 * derived (hashes, nodes, roots) is trusted; only the entry and item bytes are used.
 */
import { fromBase64, toHex } from '../ledger/bytes.ts';
import { bodyBytes, itemTree, parseEntryBytes } from '../ledger/entry.ts';
import { merkle32, sha256 } from '../ledger/ledger.ts';
import { completedNodes, leafHash, rootAt } from '../ledger/merkle.ts';
import { nodeCrypto } from '../ledger/crypto-node.ts';
import { parseCheckpoint } from '../ledger/checkpoint.ts';
import { ed25519NoteVerifier, noteVerifierFromKey, openNote, parseNote } from '../ledger/note.ts';
import { checkEntry, Failure, Frontier, VerifyState, type EntryRow, type ItemsRow, type VerifyReport } from '../ledger/verify.ts';
import type { LedgerEntryLine } from '../api/client.ts';

export interface RemoteVerifyReport extends VerifyReport {
  /** True when the checkpoint was checked against a --operator-key given by the caller. */
  operatorKeyPinned: boolean;
}

/** One entry's items in verify.ts's ItemsRow layout, from their bytes alone (paths computed here). */
function itemsRow(items: Uint8Array[]): ItemsRow {
  if (items.length === 0) return [0, null, null];
  const hashes = items.map((b) => sha256(b));
  const tree = itemTree(sha256, hashes, merkle32);
  const parts: Uint8Array[] = [];
  const layout: string[] = [];
  items.forEach((bytes, i) => {
    layout.push(`${i}:${hashes[i].length}:${tree.paths[i].length}:${bytes.length}`);
    parts.push(hashes[i], tree.paths[i], bytes);
  });
  return [items.length, layout.join(','), Buffer.concat(parts)];
}

function failure(size: number, code: string, message: string, extra: Partial<VerifyReport['failure']> = {}): Failure {
  return new Failure({ code: code as never, message, table: 'checkpoint', ...extra });
}

/**
 * Verifies `checkpointNote` and the entries `entries(size)` yields for it. `operatorKey`: a C2SP
 * verifier key the checkpoint must be signed with (and that the genesis entry must register).
 */
export async function verifyRemoteLedger(
  checkpointNote: string,
  entries: (size: number) => AsyncIterable<LedgerEntryLine>,
  options: { operatorKey?: string; onProgress?: (checked: number, total: number) => void } = {},
): Promise<RemoteVerifyReport> {
  const state = new VerifyState();
  const pinned = options.operatorKey !== undefined;
  let size = 0;
  try {
    let cp;
    try {
      cp = parseCheckpoint(parseNote(checkpointNote).text);
    } catch (err) {
      throw failure(0, 'LEDGER_BAD_CHECKPOINT', `the server's checkpoint is not a checkpoint note: ${(err as Error).message}`);
    }
    size = cp.size;
    const nodes = new Map<number, Uint8Array>();
    // Node (level, index) as one number: index < 2^53 / 64 for any ledger this side of 10^14 entries.
    const key = (level: number, index: number) => index * 64 + level;
    const mirror = new Frontier();
    for await (const line of entries(size)) {
      let bytes: Uint8Array;
      let items: Uint8Array[];
      let leafColumn: Uint8Array;
      try {
        bytes = fromBase64(line.entry);
        items = line.items.map((i) => fromBase64(i));
        leafColumn = fromBase64(line.leafHash);
      } catch (err) {
        throw new Failure({ code: 'LEDGER_MALFORMED_ENTRY', message: `entry ${state.position}: not base64: ${(err as Error).message}`, position: state.position, table: 'ledger_entries' });
      }
      // The columns a store keeps are derived here from the bytes (the server's own leaf hash is
      // compared too), so checkEntry's checks bear on the entry itself.
      let columns: [string, string, string, Uint8Array];
      try {
        const body = parseEntryBytes(bytes).body;
        columns = [body.kind, body.signer.party, body.signer.keyId, sha256(bodyBytes(body))];
      } catch {
        columns = ['', '', '', new Uint8Array(32)]; // checkEntry reports the malformed bytes
      }
      const row: EntryRow = [line.index, ...columns, state.prevHash, sha256(bytes), leafColumn, bytes];
      if (line.index === state.position) {
        for (const node of completedNodes(sha256, line.index, leafHash(sha256, bytes), mirror)) {
          nodes.set(key(node.level, node.index), node.hash);
          mirror.set(node.level, node.index, node.hash);
        }
      }
      checkEntry(state, row, itemsRow(items), (level, index) => nodes.get(key(level, index)));
      if (state.position % 512 === 0) options.onProgress?.(state.position, size);
      if (state.position > size) throw failure(size, 'LEDGER_BAD_CHECKPOINT', `the server sent more entries than its checkpoint covers (${size})`);
    }
    options.onProgress?.(state.position, size);
    if (state.position !== size) {
      throw new Failure({ code: 'LEDGER_MISSING_ENTRY', message: `the server sent ${state.position} entries, its checkpoint covers ${size}`, position: state.position, table: 'ledger_entries' });
    }
    if (size === 0 || !state.operatorKey) throw failure(size, 'LEDGER_BAD_CHECKPOINT', 'the checkpoint covers no entries');
    const root = rootAt(sha256, size, { node: (level, index) => nodes.get(key(level, index))! });
    const at = { checkpointSize: size, table: 'checkpoint' };
    if (cp.origin !== state.origin) throw failure(size, 'LEDGER_BAD_CHECKPOINT', `the checkpoint is of ${cp.origin}, the genesis entry names ${state.origin}`, at);
    if (Buffer.compare(root, cp.rootHash) !== 0) {
      throw failure(size, 'LEDGER_BAD_CHECKPOINT', `the checkpoint's root at size ${size} is not the root of the entries the server sent (${toHex(root)})`, at);
    }
    const genesis = ed25519NoteVerifier(nodeCrypto, state.origin, state.operatorKey.publicKey);
    let verifier = genesis;
    if (pinned) {
      try {
        verifier = noteVerifierFromKey(nodeCrypto, options.operatorKey!);
      } catch (err) {
        throw failure(size, 'CLI_BAD_KEY', `--operator-key: ${(err as Error).message}`, at);
      }
      if (verifier.name !== genesis.name || Buffer.compare(verifier.publicKey, genesis.publicKey) !== 0) {
        throw failure(size, 'LEDGER_BAD_KEY_STATE', `the genesis entry registers operator key ${genesis.name}+${genesis.keyId.toString(16).padStart(8, '0')}, not the pinned one`, at);
      }
    }
    try {
      openNote(checkpointNote, [verifier]);
    } catch (err) {
      throw failure(size, 'LEDGER_BAD_CHECKPOINT', `the checkpoint's operator signature: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`.trim(), at);
    }
    return { ok: true, size, root: toHex(root), items: state.items, checkpoints: 1, operatorKeyPinned: pinned };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, size: state.position, items: state.items, checkpoints: 0, failure: err.failure, operatorKeyPinned: pinned };
    throw err;
  }
}
