/**
 * A writer process for the synchronous-ledger concurrency test: opens the PostgreSQL ledger at
 * argv[2] with `Ledger.open` (the sync connection; operator key file argv[3]) and appends argv[5]
 * batch documents signed by party argv[4] (JSON {party, keyId, secret: hex, firstDoc}), asking for
 * a checkpoint every 4 documents, as fast as it can. Prints one JSON line per receipt and checkpoint.
 */
import { Ledger } from '../../../ledger/ledger.ts';
import { batchDocument } from '../helpers.ts';

const [url, keyFile, partyJson, countText] = process.argv.slice(2);
const party = JSON.parse(partyJson) as { party: string; keyId: string; secret: string; firstDoc: number };
const ledger = Ledger.open(url, { keyFile });
const by = { party: party.party, keyId: party.keyId, secret: Buffer.from(party.secret, 'hex') };
const count = Number(countText);
for (let i = 0; i < count; i++) {
  const receipt = ledger.append(batchDocument(by, party.firstDoc + i, 1 + (i % 5)));
  process.stdout.write(`${JSON.stringify({ receipt })}\n`);
  if (i % 4 === 3) {
    const cp = ledger.checkpoint();
    process.stdout.write(`${JSON.stringify({ checkpoint: { size: cp.size, created: cp.created } })}\n`);
  }
}
ledger.close();
