/**
 * The server side of bench/soak.ts, in its own process so its memory is measured alone: the real
 * API (buildServer) over an existing ledger, rate limits off (the soak is one machine's clients,
 * not an attack), on 127.0.0.1 and a free port. Prints one JSON line `{ url, pid }`; SIGTERM
 * closes it gracefully.
 *
 * Usage: npx tsx bench/soak-server.ts DB_FILE
 */
import { buildServer } from '../api/server.ts';

const dbFile = process.argv[2];
if (!dbFile) {
  process.stderr.write('usage: soak-server.ts DB_FILE\n');
  process.exit(2);
}
const app = await buildServer({ dbFile, rateLimit: false });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
