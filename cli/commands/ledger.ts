/**
 * `drugtrace init`, `drugtrace ledger verify|checkpoint|append`: create a ledger, re-verify it
 * from the store, print (and if the log grew, sign) the newest checkpoint, and append a signed
 * document from a file (for scripts and tests).
 */
import { readFileSync, existsSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { isPostgresUrl, openStore } from '../../schemas/store.ts';
import { defaultKeyFile, Ledger } from '../../ledger/ledger.ts';
import { verifyLedger, type VerifyReport } from '../../ledger/verify.ts';
import { copyLedger } from '../../ledger/store/copy.ts';
import { verifyStore } from '../../ledger/store/verify.ts';
import { SqliteLedgerStore } from '../../ledger/store/sqlite.ts';
import { PgLedgerStore } from '../../ledger/store/postgres.ts';
import type { LedgerStore } from '../../ledger/store/store.ts';
import { LedgerError, type SignedDocument } from '../../ledger/entry.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { formatVerifierKey, noteVerifierFromKey, openNote, parseNote, SIGNATURE_TYPE_ED25519, type NoteSignature, type NoteVerifier } from '../../ledger/note.ts';
import { parseCheckpoint, type Checkpoint } from '../../ledger/checkpoint.ts';
import { nodeCrypto, sha256 } from '../../ledger/crypto-node.ts';
import { serializeBundle, type ProofBundle } from '../../ledger/bundle.ts';
import { exportUnitBundle, type UnitBundleResult } from '../../trace/proofs.ts';
import { QueryError } from '../../trace/queries/errors.ts';
import { CliExit, EXIT, holdsLedger, output, printableLocation, resolveDbFile } from '../common.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';
import type { DrugTraceClient } from '../../api/client.ts';
import { verifyBundle } from '../../ledger/bundle.ts';
import { provenHistory } from '../../trace/proof-history.ts';
import { canonicalCode } from '../../trace/queries/db.ts';
import type { Output } from '../common.ts';
import { verifyRemoteLedger, type RemoteVerifyReport } from '../remote-ledger.ts';

/** Refusals of a well-formed request exit 1 ("no"); anything else about the input exits 2. */
const USAGE_CODES = new Set(['LEDGER_MALFORMED_ENTRY', 'LEDGER_NOT_INITIALIZED', 'LEDGER_ALREADY_INITIALIZED', 'LEDGER_NOT_FOUND', 'LEDGER_OPERATOR_KEY']);

export function ledgerExit(err: unknown, command: string): never {
  if (err instanceof LedgerError) {
    throw new CliExit(USAGE_CODES.has(err.code) ? EXIT.usage : EXIT.no, `drugtrace ${command}: ${err.code}: ${err.message}`, {
      ok: false,
      error: { code: err.code, message: err.message, details: err.details },
    });
  }
  throw err;
}

/** Opens the ledger in --db, turning "no ledger here" into a usage error. */
export function openLedger(db: string | undefined, command: string): Ledger {
  const file = resolveDbFile(db);
  try {
    return Ledger.open(file);
  } catch (err) {
    ledgerExit(err, command);
  }
}

export function describeReport(report: VerifyReport): string {
  if (report.ok) return `ok: ${report.size} entries, ${report.items} items, ${report.checkpoints} checkpoints verified; root ${report.root}`;
  const f = report.failure!;
  const where = f.position !== undefined ? `entry ${f.position}` : f.checkpointSize !== undefined ? `checkpoint at size ${f.checkpointSize}` : f.table;
  return `FAILED at ${where}: ${f.code}: ${f.message}`;
}

function checkpointJson(cp: { size: number; root: Uint8Array; cosignedNote: string; cosignatures: unknown[] }, created: boolean) {
  return { ok: true, created, size: cp.size, root: toBase64(cp.root), note: cp.cosignedNote, cosignatures: cp.cosignatures.length };
}

/**
 * A checkpoint note fetched from a server, in the local command's JSON shape. With a verifier key
 * the operator's signature must verify (exit 1 otherwise); a note that is not a checkpoint is a "no" too.
 */
function remoteCheckpoint(text: string, operatorKey: string | undefined) {
  const fail = (code: string, message: string): never => {
    throw new CliExit(EXIT.no, `drugtrace ledger checkpoint: ${code}: ${message}`, { ok: false, error: { code, message } });
  };
  let verifier: NoteVerifier | undefined;
  if (operatorKey !== undefined) {
    try {
      verifier = noteVerifierFromKey(nodeCrypto, operatorKey);
    } catch (err) {
      throw new CliExit(EXIT.usage, `drugtrace ledger checkpoint: --operator-key: ${(err as Error).message}`, { ok: false, error: { code: 'CLI_BAD_KEY', message: (err as Error).message } });
    }
  }
  let cp: Checkpoint;
  let signatures: NoteSignature[];
  try {
    const note = parseNote(text);
    cp = parseCheckpoint(note.text);
    signatures = note.signatures;
    if (verifier) {
      if (verifier.name !== cp.origin) fail('CHECKPOINT_WRONG_ORIGIN', `the key is for ${verifier.name}, the checkpoint is of ${cp.origin}`);
      openNote(text, [verifier]);
    }
  } catch (err) {
    if (err instanceof CliExit) throw err;
    return fail((err as { code?: string }).code ?? 'CHECKPOINT_INVALID', (err as Error).message);
  }
  return {
    ok: true,
    created: null,
    size: cp.size,
    root: toBase64(cp.rootHash),
    note: text,
    cosignatures: signatures.filter((sig) => sig.name !== cp.origin).length,
    verified: verifier !== undefined,
  };
}

/** A signed document in JSON: {body, signature, items?: [base64 of each item's bytes]}. */
function readDocument(file: string): SignedDocument {
  let value: { body?: unknown; signature?: unknown; items?: unknown };
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliExit(EXIT.usage, `drugtrace ledger append: cannot read ${file} as JSON: ${(err as Error).message}`, {
      ok: false,
      error: { code: 'CLI_BAD_INPUT', message: `cannot read ${file} as JSON` },
    });
  }
  const items = value.items;
  if (items !== undefined && (!Array.isArray(items) || !items.every((i) => typeof i === 'string'))) {
    throw new CliExit(EXIT.usage, 'drugtrace ledger append: items must be an array of base64 strings', { ok: false, error: { code: 'CLI_BAD_INPUT', message: 'items must be base64 strings' } });
  }
  let decoded: Uint8Array[] | undefined;
  try {
    decoded = items?.map((i: string) => fromBase64(i));
  } catch (err) {
    throw new CliExit(EXIT.usage, `drugtrace ledger append: an item is not base64: ${(err as Error).message}`, { ok: false, error: { code: 'CLI_BAD_INPUT', message: 'an item is not base64' } });
  }
  return { body: value.body, signature: value.signature, ...(decoded ? { items: decoded } : {}) } as SignedDocument;
}

export function register(program: Command): void {
  program
    .command('init')
    .description('create a new ledger: schema and operator key (an admin token for the HTTP API comes with `drugtrace serve`)')
    .option('--db <location>', 'SQLite file or postgres:// URL (default $DATABASE_URL, else ./data/drugtrace.db)')
    .option('--origin <name>', 'the log origin named in its checkpoints, e.g. drugtrace.example.com/log (default: drugtrace.local/<random>)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nThe operator secret key is written to <db>.operator-key (mode 0600) and never replaced:\n' +
        'init refuses to run over an existing ledger or key file. Keep that file private and backed up.',
    )
    .action((opts: { db?: string; origin?: string; json?: boolean }) => {
      const out = output(opts);
      const file = resolveDbFile(opts.db);
      const origin = opts.origin ?? `drugtrace.local/${randomBytes(4).toString('hex')}`;
      let ledger: Ledger;
      try {
        ledger = Ledger.init(file, { origin });
      } catch (err) {
        ledgerExit(err, 'init');
      }
      try {
        const vkey = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
        out.result(
          { ok: true, db: printableLocation(file), keyFile: defaultKeyFile(file), origin: ledger.origin, operatorKeyId: ledger.operatorKeyId, verifierKey: vkey },
          () =>
            [
              `created ledger ${printableLocation(file)}`,
              `  origin        ${ledger.origin}`,
              `  operator key  ${ledger.operatorKeyId} (secret in ${defaultKeyFile(file)}, mode 0600)`,
              `  verifier key  ${vkey}`,
            ].join('\n'),
        );
      } finally {
        ledger.close();
      }
    });

  const ledger = program.command('ledger').description('the tamper-evident ledger: verify, checkpoint, append');

  const verify = ledger
    .command('verify')
    .description('re-derive every entry hash, chain link, signature, item path, Merkle node, root and checkpoint from the store')
    .option('--db <location>', 'SQLite file or postgres:// URL (default $DATABASE_URL, else ./data/drugtrace.db)')
    .option('--operator-key <vkey>', "with --server: the operator's verifier key (from drugtrace init) the checkpoint must be signed with")
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExit 0 when everything verifies, 1 naming the first bad entry and what is wrong, 2 when there is no ledger.\n' +
        'With --server (a regulator or witness token): fetches the newest signed checkpoint, then the entries it\n' +
        'covers, and re-derives every hash, link, signature, items root and the Merkle root here, trusting\n' +
        "nothing the server computed; the checkpoint's signature is checked with the genesis entry's operator\n" +
        'key, or with --operator-key to pin it.',
    );
  serverOptions(verify).action(async (opts: { db?: string; json?: boolean; operatorKey?: string } & ServerOptions) => {
    const out = output(opts);
    const client = serverClient(opts, 'ledger verify');
    const bar = !out.json && process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: 'verifying {bar} {value}/{total} entries' }, cliProgress.Presets.shades_classic) : undefined;
    let started = false;
    const onProgress = (checked: number, total: number) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(checked);
    };
    if (client) {
      let report: RemoteVerifyReport;
      try {
        const note = await client.checkpoint();
        report = await verifyRemoteLedger(note, (size) => client.ledgerEntries({ from: 0, to: size }), { operatorKey: opts.operatorKey, onProgress });
      } catch (err) {
        bar?.stop();
        serverExit(err, 'ledger verify');
      }
      bar?.stop();
      if (!report.ok) throw new CliExit((report.failure!.code as string) === 'CLI_BAD_KEY' ? EXIT.usage : EXIT.no, `drugtrace ledger verify: ${describeReport(report)}`, report);
      out.info(`verified against ${client.baseUrl}; operator key ${report.operatorKeyPinned ? 'pinned with --operator-key' : "taken from the genesis entry (pass --operator-key to pin it)"}`);
      out.result(report, () => describeReport(report));
      return;
    }
    const file = resolveDbFile(opts.db);
    if (!isPostgresUrl(file) && !existsSync(file)) ledgerExit(new LedgerError('LEDGER_NOT_INITIALIZED', `${file} does not exist; run drugtrace init`), 'ledger verify');
    const store = openStore(file);
    try {
      if (!store.sql.prepare('SELECT 1 FROM ledger_entries LIMIT 1').get() && !store.sql.prepare('SELECT 1 FROM ledger_meta').get()) {
        ledgerExit(new LedgerError('LEDGER_NOT_INITIALIZED', `${printableLocation(file)} holds no ledger; run drugtrace init`), 'ledger verify');
      }
      const report = verifyLedger(store, { onProgress });
      bar?.stop();
      if (!report.ok) throw new CliExit(EXIT.no, `drugtrace ledger verify: ${describeReport(report)}`, report);
      out.result(report, () => describeReport(report));
    } finally {
      store.close();
    }
  });

  const checkpoint = ledger
    .command('checkpoint')
    .description('print the newest signed checkpoint as a C2SP signed note, first signing a new one if the log grew')
    .option('--db <location>', 'SQLite file or postgres:// URL (default $DATABASE_URL, else ./data/drugtrace.db)')
    .option('--operator-key <vkey>', "with --server: the operator's verifier key (from drugtrace init) to check the note's signature with")
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nWith --server the note comes from GET /v1/checkpoint (the server signs a new one first if its log grew;\n' +
        'whether it did is not reported: created is null). With --operator-key its signature is checked here:\n' +
        'exit 1 if it does not verify.',
    );
  serverOptions(checkpoint).action(async (opts: { db?: string; json?: boolean; operatorKey?: string } & ServerOptions) => {
    const out = output(opts);
    const client = serverClient(opts, 'ledger checkpoint');
    if (client) {
      let text: string;
      try {
        text = await client.checkpoint();
      } catch (err) {
        serverExit(err, 'ledger checkpoint');
      }
      const result = remoteCheckpoint(text, opts.operatorKey);
      out.info(`checkpoint from ${client.baseUrl}, size ${result.size}${result.verified ? `, operator signature verified with ${opts.operatorKey}` : ' (signature not checked: pass --operator-key)'}`);
      out.result(result, () => result.note.replace(/\n$/, ''));
      return;
    }
    const l = openLedger(opts.db, 'ledger checkpoint');
    try {
      let result: ReturnType<typeof checkpointJson>;
      try {
        l.requireSecret();
        const cp = l.checkpoint();
        result = checkpointJson(cp, cp.created);
      } catch (err) {
        if (err instanceof LedgerError && err.code === 'LEDGER_OPERATOR_KEY') {
          const latest = l.latestCheckpoint();
          if (!latest) ledgerExit(err, 'ledger checkpoint');
          out.info(`note: the operator key is not available here; showing the newest stored checkpoint (size ${latest.size})`);
          result = checkpointJson(latest, false);
        } else {
          ledgerExit(err, 'ledger checkpoint');
        }
      }
      out.info(result.created ? `signed a new checkpoint at size ${result.size}` : `newest checkpoint, size ${result.size}`);
      out.result(result, () => result.note.replace(/\n$/, ''));
    } finally {
      l.close();
    }
  });

  ledger
    .command('append')
    .argument('<file>', 'JSON signed document: {"body": …, "signature": base64, "items": [base64, …]}')
    .description('append one signed document and print its receipt (repeating a document returns its first receipt)')
    .option('--db <location>', 'SQLite file or postgres:// URL (default $DATABASE_URL, else ./data/drugtrace.db)')
    .option('--json', 'print one JSON document')
    .action((path: string, opts: { db?: string; json?: boolean }) => {
      const out = output(opts);
      const doc = readDocument(path);
      const l = openLedger(opts.db, 'ledger append');
      try {
        let receipt;
        try {
          receipt = l.append(doc);
        } catch (err) {
          ledgerExit(err, 'ledger append');
        }
        out.result({ ok: true, ...receipt }, () => `${receipt.duplicate ? 'already stored at' : 'appended at'} position ${receipt.position}; leaf ${receipt.leafHash}`);
      } finally {
        l.close();
      }
    });

  ledger
    .command('copy')
    .description('copy the whole ledger, row for row, into another database that holds none (e.g. SQLite to PostgreSQL), then verify the copy')
    .requiredOption('--to <location>', 'the target: a postgres:// URL or a SQLite file')
    .option('--db <location>', 'the source: SQLite file or postgres:// URL (default $DATABASE_URL, else ./data/drugtrace.db)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nEntries keep their bytes, so the copy has the same hashes, root, checkpoints and proofs. The operator key\n' +
        "file goes along (to <file>.operator-key, or <database>.operator-key in $DRUGTRACE_KEY_DIR for a URL) and is\n" +
        'never replaced by another key. Exit 0 when the copy verifies to the same root, 1 when it does not,\n' +
        '2 when the source holds no ledger or the target already holds one.',
    )
    .action(async (opts: { db?: string; to: string; json?: boolean }) => {
      const out = output(opts);
      const from = resolveDbFile(opts.db);
      const to = resolveDbFile(opts.to);
      if (!holdsLedger(from)) ledgerExit(new LedgerError('LEDGER_NOT_INITIALIZED', `${printableLocation(from)} holds no ledger`), 'ledger copy');
      const fromKey = defaultKeyFile(from);
      const toKey = defaultKeyFile(to);
      const key = existsSync(fromKey) ? readFileSync(fromKey) : undefined;
      if (key && existsSync(toKey) && !readFileSync(toKey).equals(key)) {
        ledgerExit(new LedgerError('LEDGER_ALREADY_INITIALIZED', `${toKey} holds another operator key; refusing to replace it`, { keyFile: toKey }), 'ledger copy');
      }
      const source = await ledgerStoreAt(from);
      let target: LedgerStore | undefined;
      try {
        target = await ledgerStoreAt(to);
        const sourceReport = await verifyStore(source);
        if (!sourceReport.ok) throw new CliExit(EXIT.no, `drugtrace ledger copy: the source does not verify: ${describeReport(sourceReport)}; nothing copied`, sourceReport);
        let copied;
        try {
          copied = await copyLedger(source, target, { onProgress: (n, total) => out.info(`copied ${n}/${total} entries`) });
        } catch (err) {
          ledgerExit(err, 'ledger copy');
        }
        const report = await verifyStore(target);
        if (key && !existsSync(toKey)) writeSecretFile(toKey, key);
        const result = {
          ok: report.ok && report.root === sourceReport.root,
          from: printableLocation(from),
          to: printableLocation(to),
          ...copied,
          root: report.root,
          sourceRoot: sourceReport.root,
          keyFile: key ? toKey : null,
          verify: report,
        };
        if (!result.ok) throw new CliExit(EXIT.no, `drugtrace ledger copy: the copy does not verify to the source's root: ${describeReport(report)}`, result);
        out.result(
          result,
          () =>
            `copied ${copied.entries} entries, ${copied.items} items, ${copied.nodes} Merkle nodes and ${copied.checkpoints} checkpoints to ${result.to}\n` +
            `verified: ${describeReport(report)}` +
            (key ? `\noperator key in ${toKey}` : '\nno operator key file beside the source: the copy reads and verifies, but signs nothing'),
        );
      } finally {
        await target?.close();
        await source.close();
      }
    });
}

/** The async ledger store over the database at `location`. */
async function ledgerStoreAt(location: string): Promise<LedgerStore> {
  if (isPostgresUrl(location)) return PgLedgerStore.connect(location);
  return new SqliteLedgerStore(openStore(location), true);
}

/** Writes a copy of a secret file, never over an existing one, readable by its owner only. */
function writeSecretFile(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

/**
 * `drugtrace proof export CODE [--out FILE]`: the offline proof bundle of one unit's history
 * (trace/proofs.ts); `drugtrace proof export --position N... [--out FILE]`: a bundle for ledger
 * entries by position. Exactly one of CODE and --position; without --out the bundle itself is
 * printed on stdout. Registered into the `proof` group that cli/commands/proof.ts creates.
 */
export function registerProofExport(proof: Command): void {
  const exporter = proof
    .command('export')
    .description("write an offline proof bundle: one unit's whole history (CODE), or ledger entries (--position)")
    .argument('[code]', 'the unit: Digital Link, GS1 element string, EPC URN or CN code')
    .option('--position <n...>', 'instead of CODE: entry positions to prove (one or more)')
    .option('--out <file>', 'where to write the bundle (JSON); default: print the bundle on stdout')
    .option('--items <which>', 'with --position: items of batch documents to include, all (default) or none')
    .option('--db <location>', 'SQLite file or postgres:// URL (default $DATABASE_URL, else ./data/drugtrace.db)')
    .option('--operator-key <vkey>', "with --server: the operator's verifier key the bundle's checkpoint must be signed with")
    .option('--json', 'print a one-document JSON summary (the bundle itself when there is no --out)')
    .addHelpText(
      'after',
      "\nWith CODE the bundle holds the capture entries of the unit's events (its own, its containers'\n" +
        "while it was inside, its transformation inputs'), only those events' items with their paths to\n" +
        "each document's signed itemsRoot, its lot's recall entries, the key registrations of every\n" +
        'signer and a checkpoint covering them. Check it with `drugtrace proof verify FILE`.\n' +
        'Exit 1 when the code has no recorded event; 2 for a malformed code or CODE with --position.\n' +
        'With --server (CODE only): the server builds the bundle (GET /v1/units/CODE/proof-bundle); it is\n' +
        'verified here (as proof verify does, pinning --operator-key if given) before anything is written:\n' +
        'exit 1, nothing written, if it does not verify.',
    );
  serverOptions(exporter).action(async (code: string | undefined, opts: { position?: string[]; out?: string; items?: string; db?: string; json?: boolean; operatorKey?: string } & ServerOptions) => {
      const usage = (message: string, errorCode: string, details: Record<string, unknown> = {}): never => {
        throw new CliExit(EXIT.usage, `drugtrace proof export: ${message}`, { ok: false, error: { code: errorCode, message, details } });
      };
      if (code !== undefined && opts.position !== undefined) usage('give a unit CODE or --position, not both', 'CLI_CONFLICTING_ARGUMENTS', { code, position: opts.position });
      if (code === undefined && opts.position === undefined) usage('give a unit CODE or --position N...', 'CLI_MISSING_ARGUMENT');
      if (code !== undefined && opts.items !== undefined) usage('--items goes with --position; a unit bundle holds exactly its own events', 'CLI_CONFLICTING_ARGUMENTS', { items: opts.items });
      const out = output(opts);
      const client = serverClient(opts, 'proof export');
      if (client) {
        if (code === undefined) usage('--server exports a unit bundle: give a CODE (--position needs the database)', 'CLI_NOT_REMOTE', { position: opts.position });
        return exportRemoteBundle(client, code!, opts, out);
      }
      const positions = (opts.position ?? []).map((p) => {
        if (!/^(0|[1-9][0-9]*)$/.test(p) || !Number.isSafeInteger(Number(p))) usage(`--position must be whole numbers, got ${JSON.stringify(p)}`, 'CLI_BAD_NUMBER', { value: p });
        return Number(p);
      });
      const items = opts.items ?? 'all';
      if (items !== 'all' && items !== 'none') return usage(`--items must be all or none, got ${JSON.stringify(items)}`, 'CLI_BAD_OPTION', { value: items });
      const l = openLedger(opts.db, 'proof export');
      try {
        let bundle: ProofBundle;
        let unit: UnitBundleResult | undefined;
        try {
          if (code !== undefined) {
            unit = exportUnitBundle(l, code);
            bundle = unit.bundle;
          } else {
            bundle = l.exportBundle(positions, { items });
          }
        } catch (err) {
          if (err instanceof QueryError) {
            const badInput = err.code === 'TRACE_QUERY_BAD_CODE';
            throw new CliExit(badInput ? EXIT.usage : EXIT.no, `drugtrace proof export: ${err.message}`, {
              ok: false,
              error: { code: err.code, message: err.message, details: err.details },
            });
          }
          ledgerExit(err, 'proof export');
        }
        const size = Number(bundle.checkpoint.split('\n')[1]);
        if (opts.out === undefined) {
          // The bundle is the result: one JSON document on stdout, with or without --json.
          process.stdout.write(serializeBundle(bundle));
          if (unit?.checkpointCreated && !out.json) process.stderr.write(`signed a new checkpoint at size ${size}\n`);
          return;
        }
        writeFileSync(opts.out, serializeBundle(bundle));
        if (unit) {
          const s = unit.selection;
          const summary = {
            ok: true,
            out: opts.out,
            code: s.code,
            events: s.events.length,
            recalls: s.recalls.length,
            positions: s.positions,
            entries: bundle.entries.length,
            items: bundle.entries.reduce((n, e) => n + (e.items?.length ?? 0), 0),
            checkpointSize: size,
            checkpointCreated: unit.checkpointCreated,
            witnesses: bundle.log.witnesses?.length ?? 0,
            origin: bundle.log.origin,
          };
          out.result(
            summary,
            () =>
              `wrote ${opts.out}: ${s.code}, ${s.events.length} events in ${s.positions.length - s.recalls.length} capture entries` +
              `${s.recalls.length ? ` and ${s.recalls.length} recall entr${s.recalls.length === 1 ? 'y' : 'ies'}` : ''}` +
              ` (${bundle.entries.length} entries with the signer keys' registrations) against checkpoint size ${size}` +
              `${unit!.checkpointCreated ? ' (signed now)' : ''}${summary.witnesses ? `, ${summary.witnesses} witness cosignature(s)` : ''}`,
          );
          return;
        }
        const summary = { ok: true, out: opts.out, entries: bundle.entries.length, positions, checkpointSize: size, origin: bundle.log.origin };
        out.result(summary, () => `wrote ${opts.out}: ${bundle.entries.length} entries (${positions.length} requested, the rest prove signer keys) against checkpoint size ${size}`);
      } finally {
        l.close();
      }
    });
}

/**
 * `proof export CODE --server`: the server builds the unit's bundle; it is verified here before it
 * is written or printed (a regulator trusts the checks, not the server), and summarised from what
 * it proves, in the local command's JSON shape (checkpointCreated: unknown over HTTP, null).
 */
async function exportRemoteBundle(client: DrugTraceClient, code: string, opts: { out?: string; operatorKey?: string }, out: Output): Promise<void> {
  let bundle: ProofBundle;
  try {
    bundle = await client.proofBundle(code);
  } catch (err) {
    serverExit(err, 'proof export');
  }
  const report = verifyBundle(bundle, { trustedOperatorKeys: opts.operatorKey === undefined ? undefined : [opts.operatorKey] }, nodeCrypto);
  if (!report.ok) {
    const f = report.firstFailure!;
    throw new CliExit(EXIT.no, `drugtrace proof export: the server's bundle does not verify: ${f.check} failed: ${f.code}: ${f.message}; nothing written`, {
      ok: false,
      error: { code: f.code, message: `the server's bundle does not verify: ${f.message}`, details: { check: f.check } },
      report,
    });
  }
  const size = Number(bundle.checkpoint.split('\n')[1]);
  out.info(`bundle from ${client.baseUrl} verified here (operator key ${report.trust.operatorKeyPinned ? 'pinned' : 'taken from the bundle; pass --operator-key to pin it'})`);
  if (opts.out === undefined) {
    process.stdout.write(serializeBundle(bundle));
    return;
  }
  writeFileSync(opts.out, serializeBundle(bundle));
  const proven = provenHistory(bundle, report);
  const positions = [...new Set([...proven.events.map((e) => e.position), ...proven.recalls.map((r) => r.position)])].sort((a, b) => a - b);
  const summary = {
    ok: true,
    out: opts.out,
    code: canonicalCode(code),
    events: proven.events.length,
    recalls: proven.recalls.length,
    positions,
    entries: bundle.entries.length,
    items: bundle.entries.reduce((n, e) => n + (e.items?.length ?? 0), 0),
    checkpointSize: size,
    checkpointCreated: null,
    witnesses: bundle.log.witnesses?.length ?? 0,
    origin: bundle.log.origin,
  };
  out.result(
    summary,
    () =>
      `wrote ${opts.out}: ${summary.code}, ${summary.events} events in ${positions.length - summary.recalls} capture entries` +
      `${summary.recalls ? ` and ${summary.recalls} recall entr${summary.recalls === 1 ? 'y' : 'ies'}` : ''}` +
      ` (${summary.entries} entries with the signer keys' registrations) against checkpoint size ${size}, verified here` +
      `${summary.witnesses ? `, ${summary.witnesses} witness cosignature(s)` : ''}`,
  );
}
