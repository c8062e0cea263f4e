/**
 * `drugtrace party add|list`: register a supply-chain party (role, name, GLN locations, product
 * prefixes) with a fresh Ed25519 key. The operator signs the registration; the party's secret
 * key goes to a key file readable by its owner only (mode 0600, never overwritten), which
 * `drugtrace capture --party` signs with.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { keyIdFor } from '../../ledger/keys.ts';
import { LedgerError } from '../../ledger/entry.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { registerTraceParty } from '../../trace/parties.ts';
import { TraceError } from '../../trace/rules.ts';
import { CliExit, DB_HELP, EXIT, output, resolveDbFile, sidecarBase } from '../common.ts';
import { ledgerExit, openLedger } from './ledger.ts';
import { ApiClientError } from '../../api/client.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';

/** One line: `drugtrace-party-key v1 <party> <keyId> <base64 32-byte seed>`. */
const KEY_FILE_PREFIX = 'drugtrace-party-key v1 ';

export interface PartyKey {
  party: string;
  keyId: string;
  secretKey: Uint8Array;
}

/**
 * Where a party's key lives unless --key says otherwise: `<db>.keys/<party>.key` (for a PostgreSQL
 * URL, `<DRUGTRACE_KEY_DIR>/<database>.keys/<party>.key`: cli/common.ts sidecarBase).
 */
export function defaultPartyKeyFile(db: string | undefined, party: string): string {
  return `${sidecarBase(resolveDbFile(db))}.keys/${party.replace(/[^A-Za-z0-9._-]/g, '_')}.key`;
}

function usage(command: string, code: string, message: string): never {
  throw new CliExit(EXIT.usage, `drugtrace ${command}: ${message}`, { ok: false, error: { code, message } });
}

export function writePartyKeyFile(file: string, key: PartyKey): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') usage('party add', 'CLI_KEY_EXISTS', `key file ${file} already exists; refusing to replace a key`);
    throw err;
  }
  try {
    writeSync(fd, `${KEY_FILE_PREFIX}${key.party} ${key.keyId} ${toBase64(key.secretKey)}\n`);
  } finally {
    closeSync(fd);
  }
}

export function readPartyKeyFile(file: string, command: string): PartyKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    return usage(command, 'CLI_NO_KEY', `cannot read the party key file ${file}: ${(err as Error).message}`);
  }
  const parts = text.startsWith(KEY_FILE_PREFIX) ? text.slice(KEY_FILE_PREFIX.length).split(' ') : [];
  let secretKey: Uint8Array | undefined;
  try {
    secretKey = parts.length === 3 ? fromBase64(parts[2]) : undefined;
  } catch {
    secretKey = undefined;
  }
  if (!secretKey || secretKey.length !== 32) usage(command, 'CLI_BAD_KEY', `${file} is not a drugtrace party key file`);
  return { party: parts[0], keyId: parts[1], secretKey };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  const party = program.command('party').description('register and list supply-chain parties');

  const add = party
    .command('add')
    .description('register a party with its locations and product prefixes, and write its signing key file (mode 0600)')
    .requiredOption('--party <id>', 'party id (letters, digits, . _ : @ / -)')
    .requiredOption('--role <role>', 'manufacturer, distributor, wholesaler, pharmacy, hospital, regulator, logistics or other')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--location <gln>', 'a GLN (13 digits), sgln URN or Digital Link the party records events at (repeat for more)', collect)
    .option('--prefix <digits>', 'GS1 company prefix or whole GTIN the party may commission (repeatable)', collect)
    .option('--cn-prefix <digits>', 'CN product resource code or prefix the party may commission (repeatable)', collect)
    .option('--key <file>', 'where to write the key file (default <db>.keys/<party>.key)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nWith --server (an admin or regulator token): POST /v1/parties. The key pair is made here and only the\n' +
        'public key is sent; the secret key stays in the key file on this machine.',
    );
  serverOptions(add).action(async (opts: { party: string; role: string; name: string; location: string[]; prefix?: string[]; cnPrefix?: string[]; key?: string; db?: string; json?: boolean } & ServerOptions) => {
      const out = output(opts);
      const keyFile = resolve(opts.key ?? defaultPartyKeyFile(opts.db, opts.party));
      const client = serverClient(opts, 'party add');
      if (client) {
        const secretKey = ed25519.generateSecretKey();
        const publicKey = ed25519.publicKey(secretKey);
        writePartyKeyFile(keyFile, { party: opts.party, keyId: keyIdFor(sha256, publicKey), secretKey });
        let result: Awaited<ReturnType<typeof client.registerParty>>;
        try {
          result = await client.registerParty({ party: opts.party, role: opts.role, name: opts.name, locations: opts.location, prefixes: opts.prefix ?? [], cnPrefixes: opts.cnPrefix ?? [], publicKey: toBase64(publicKey) });
        } catch (err) {
          unlinkSync(keyFile);
          if (err instanceof ApiClientError && err.status === 400) {
            throw new CliExit(EXIT.usage, `drugtrace party add: ${err.code} (HTTP 400): ${err.message}`, { ok: false, error: { code: err.code, message: err.message, details: err.details, status: err.status } });
          }
          serverExit(err, 'party add');
        }
        out.result({ ok: true, party: result.party, position: result.position, keyId: result.keyId, keyFile }, () =>
          [`party ${result.party.party} (${result.party.role}) registered at position ${result.position}`, `key ${result.keyId} written to ${keyFile} (mode 0600)`].join('\n'),
        );
        return;
      }
      const ledger = openLedger(opts.db, 'party add');
      try {
        const secretKey = ed25519.generateSecretKey();
        const publicKey = ed25519.publicKey(secretKey);
        // The key file first (exclusively), so a registered party never lacks its key; removed again if the registration is refused.
        writePartyKeyFile(keyFile, { party: opts.party, keyId: keyIdFor(sha256, publicKey), secretKey });
        let result: ReturnType<typeof registerTraceParty>;
        try {
          result = registerTraceParty(
            ledger,
            { party: opts.party, role: opts.role, name: opts.name, locations: opts.location, prefixes: opts.prefix ?? [], cnPrefixes: opts.cnPrefix ?? [] },
            publicKey,
          );
        } catch (err) {
          unlinkSync(keyFile);
          if (err instanceof TraceError) {
            throw new CliExit(EXIT.usage, `drugtrace party add: ${err.code}: ${err.message}`, { ok: false, error: { code: err.code, message: err.message, details: err.details } });
          }
          if (err instanceof LedgerError) ledgerExit(err, 'party add');
          throw err;
        }
        out.result({ ok: true, party: result.party, position: result.position, keyId: result.keyId, keyFile }, () =>
          [`party ${result.party.party} (${result.party.role}) registered at position ${result.position}`, `key ${result.keyId} written to ${keyFile} (mode 0600)`].join('\n'),
        );
      } finally {
        ledger.close();
      }
    });

  party
    .command('list')
    .description('list registered parties with their locations')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((opts: { db?: string; json?: boolean }) => {
      const out = output(opts);
      const ledger = openLedger(opts.db, 'party list');
      try {
        const db = ledger.store.sql;
        const parties = (db.prepare('SELECT party, role, name, registered_at AS "registeredAt" FROM trace_parties ORDER BY registered_at, party').all() as Array<{ party: string; role: string; name: string; registeredAt: number }>).map((p) => ({
          ...p,
          locations: db.prepare('SELECT location FROM trace_party_locations WHERE party = ? ORDER BY location').pluck().all(p.party),
          prefixes: db.prepare('SELECT prefix FROM trace_party_prefixes WHERE party = ? ORDER BY kind, prefix').pluck().all(p.party),
        }));
        out.result({ ok: true, parties }, () => parties.map((p) => `${p.party}\t${p.role}\t${p.name}\t${(p.locations as string[]).join(' ')}`).join('\n') || '(no parties)');
      } finally {
        ledger.close();
      }
    });
}
