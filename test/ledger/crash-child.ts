/**
 * Appends batch documents to a ledger until killed; used by crash.test.ts. After each commit it
 * writes the document number to stdout, so the parent knows what was acknowledged.
 * Usage: node --import tsx crash-child.ts DB PARTY_JSON FIRST_DOC ITEMS
 */
import { readFileSync, writeSync } from 'node:fs';
import { Ledger } from '../../ledger/ledger.ts';
import { fromBase64 } from '../../ledger/bytes.ts';
import { batchDocument } from './helpers.ts';

const [db, partyFile, first, itemCount] = process.argv.slice(2);
const saved = JSON.parse(readFileSync(partyFile, 'utf8')) as { party: string; keyId: string; secret: string };
const party = { party: saved.party, keyId: saved.keyId, secret: fromBase64(saved.secret) };
const ledger = Ledger.open(db);
writeSync(1, 'ready\n');
for (let doc = Number(first); doc < Number(first) + 100_000; doc++) {
  ledger.append(batchDocument(party, doc, Number(itemCount)));
  writeSync(1, `${doc}\n`);
}
