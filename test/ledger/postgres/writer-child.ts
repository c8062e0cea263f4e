/**
 * A writer process for the concurrency test: opens the PostgreSQL ledger at argv[2] with the
 * operator key (hex, argv[3]) and appends argv[6] batch documents signed by party argv[4]'s key
 * (JSON {party, keyId, secret: hex} in argv[5]), asking for a checkpoint every few documents, as
 * fast as it can. Prints one JSON line per receipt and per checkpoint.
 */
import { PgLedgerStore } from '../../../ledger/store/postgres.ts';
import { StoredLedger } from '../../../ledger/store/service.ts';
import { batchDocument } from '../helpers.ts';

const [url, operatorHex, , partyJson, countText] = process.argv.slice(2);
const party = JSON.parse(partyJson) as { party: string; keyId: string; secret: string; firstDoc: number };
const store = await PgLedgerStore.connect(url, { max: 2 });
const ledger = await StoredLedger.open(store, { secret: Buffer.from(operatorHex, 'hex') });
const by = { party: party.party, keyId: party.keyId, secret: Buffer.from(party.secret, 'hex') };
const count = Number(countText);
for (let i = 0; i < count; i++) {
  const receipt = await ledger.append(batchDocument(by, party.firstDoc + i, 1 + (i % 5)));
  process.stdout.write(`${JSON.stringify({ receipt })}\n`);
  if (i % 4 === 3) {
    const cp = await ledger.checkpoint();
    process.stdout.write(`${JSON.stringify({ checkpoint: { size: cp.size, created: cp.created } })}\n`);
  }
}
await ledger.close();
