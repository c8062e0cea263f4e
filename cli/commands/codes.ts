/**
 * `drugtrace codes issue --product ID --count N [--out FILE] [--format csv|json|ndjson]`: issue
 * serials under the product's coding rule, committed 10,000 per transaction, and stream them to a
 * file (or stdout) for packaging lines with a progress bar on stderr.
 */
import { closeSync, createWriteStream, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import {
  CodeWriter,
  DEFAULT_ISSUE_BATCH_SIZE,
  EXPORT_FORMATS,
  assertCanIssue,
  getProduct,
  guessReport,
  issueCodes,
  lookupIssued,
  type ExportFormat,
} from '../../codes/issuance/index.ts';
import { CliExit, DB_HELP, EXIT, output } from '../common.ts';
import { CN_URN_PREFIX, canonicalIdentifier, isIdentifierInputError } from '../../codes/identifier.ts';
import { formatCnCode, parseCnCode } from '../../codes/cn/index.ts';
import { epcToElements, formatEpcUrn, parseEpcUrn } from '../../codes/epc/index.ts';
import { buildDigitalLink, toBracketed } from '../../codes/gs1/index.ts';
import type { Recogniser } from './parse.ts';
import { issuanceExit, issuanceServerExit, parseWholeNumber, withStore, withStoreAsync } from './product.ts';
import { serverClient, serverOptions, type ServerOptions } from '../server.ts';
import type { DrugTraceClient } from '../../api/client.ts';
import type { CodeRecord, Product } from '../../codes/issuance/index.ts';
import type { Output } from '../common.ts';
import { unlinkSync } from 'node:fs';

interface IssueOptions {
  product: number;
  count: number;
  out?: string;
  format?: string;
  batchSize?: number;
  force?: boolean;
  progress?: boolean;
  db?: string;
  json?: boolean;
}

function usage(message: string, code: string, details: Record<string, unknown> = {}): never {
  throw new CliExit(EXIT.usage, `drugtrace codes issue: ${message}`, { ok: false, error: { code, message, details } });
}

/** Opens the output file before any code is issued, so a bad path burns no serials. */
function openOut(path: string, force: boolean): { stream: Writable; done: Promise<void> } {
  let fd: number;
  try {
    fd = openSync(path, force ? 'w' : 'wx');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') usage(`${path} exists; pass --force to overwrite it`, 'CLI_OUT_EXISTS', { path });
    usage(`cannot write ${path}: ${e.message}`, 'CLI_OUT_UNWRITABLE', { path });
  }
  const stream = createWriteStream('', { fd });
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', (err) => {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
      reject(err);
    });
  });
  return { stream, done };
}

export function register(program: Command): void {
  const codes = program.command('codes').description('issue codes for registered products, and check them');
  registerCheck(codes);

  const issue = codes
    .command('issue')
    .description('issue new serials for a product and write them for packaging lines')
    .requiredOption('--product <id>', 'product ID (from product add / product list)', parseWholeNumber('--product'))
    .requiredOption('--count <n>', 'how many codes to issue', parseWholeNumber('--count'))
    .option('--out <file>', 'write the codes here (default: stdout)')
    .option('--format <format>', `${EXPORT_FORMATS.join(' | ')} (default csv; ndjson on stdout with --json)`)
    .option('--batch-size <n>', `codes per transaction (default ${DEFAULT_ISSUE_BATCH_SIZE})`, parseWholeNumber('--batch-size'))
    .option('--force', 'overwrite --out if it exists')
    .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal and not with --json)')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print the summary as one JSON document (codes to stdout without --out are NDJSON)')
    .addHelpText(
      'after',
      '\nWith --server (a manufacturer token, its own products): POST /v1/products/ID/codes streamed as NDJSON\n' +
        'and written as they arrive; the server commits the codes before it sends them (--batch-size is the\n' +
        "server's). The output file is opened before the request, so a bad path burns no serials.",
    );
  serverOptions(issue).action(async (opts: IssueOptions & ServerOptions) => {
      const out = output(opts);
      const toStdout = opts.out === undefined;
      const format = (opts.format ?? (toStdout && opts.json ? 'ndjson' : 'csv')) as ExportFormat;
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
        usage(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(opts.format)}`, 'CLI_BAD_FORMAT', { format: opts.format });
      }

      if (toStdout && opts.json && format === 'csv') {
        usage('--json without --out streams the codes to stdout as JSON: use --format json or ndjson, or give --out', 'CLI_BAD_FORMAT', { format });
      }
      if (opts.batchSize !== undefined && opts.batchSize < 1) usage('--batch-size must be at least 1', 'CLI_BAD_NUMBER', { flag: '--batch-size' });
      const client = serverClient(opts, 'codes issue');
      if (client) return issueRemote(client, opts, format, out);
      await withStoreAsync(opts.db, async (store) => {
        try {
          // Refuse a bad count or capacity before the output file is touched, and open the file
          // before any serial is committed, so neither failure burns serials.
          assertCanIssue(getProduct(store, opts.product), opts.count);
          const target = toStdout ? { stream: process.stdout as Writable, done: Promise.resolve() } : openOut(opts.out!, Boolean(opts.force));
          const batches = issueCodes(store, opts.product, opts.count, { batchSize: opts.batchSize });
          const writer = new CodeWriter(target.stream, format);
          const showBar = opts.progress !== false && !opts.json && Boolean(process.stderr.isTTY);
          const bar = showBar
            ? new cliProgress.SingleBar(
                { stream: process.stderr, format: 'issuing [{bar}] {percentage}% | {value}/{total} codes | ETA {eta_formatted}', hideCursor: true },
                cliProgress.Presets.shades_classic,
              )
            : undefined;
          bar?.start(opts.count, 0);
          let issued = 0;
          let last;
          try {
            for (let step = batches.next(); !step.done; step = batches.next()) {
              last = step.value;
              await writer.writeBatch(last);
              issued = last.issuedInRun;
              bar?.update(issued);
            }
            await writer.finish();
          } finally {
            batches.return();
            bar?.stop();
            if (!toStdout) target.stream.end();
          }
          await target.done;
          const after = getProduct(store, opts.product);
          const guess = guessReport(after.rule);
          const summary = {
            ok: true,
            product: after.id,
            runId: last!.runId,
            issued,
            issuedTotal: after.rule.issuedCount,
            format,
            out: opts.out ?? null,
            guess,
          };
          const human = `issued ${issued.toLocaleString('en-US')} codes for product ${after.id} (${after.name})${opts.out ? ` to ${opts.out} (${format})` : ''}; ${after.rule.issuedCount.toLocaleString('en-US')} issued in all; guess probability ${guess.guessProbability.toExponential(2)} (limit under 1.00e-4)`;
          if (toStdout) {
            // stdout carries the codes; the summary goes to stderr.
            if (!opts.json) process.stderr.write(human + '\n');
          } else out.result(summary, () => human);
        } catch (err) {
          issuanceExit(err, 'codes issue');
        }
      });
    });
}

const VERDICT_TEXT = {
  issued: 'issued',
  'not-issued': 'NOT issued: no such serial was issued for this product',
  'bad-check': 'NOT issued: the check digits do not match the issuer key (a guessed or mistyped code)',
  'unknown-product': 'NOT issued: no product here has this GTIN / CN product resource code',
  'not-serialised': 'not a serialised unit (no serial to look up)',
} as const;

export function registerCheck(codes: Command): void {
  codes
    .command('check')
    .description('was this code issued here? exit 0 if so, 1 if not')
    .argument('<code>', 'the code in any form: element string, Digital Link, EPC URN, CN code')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((code: string, opts: { db?: string; json?: boolean }) => {
      const out = output(opts);
      const result = withStore(opts.db, (store) => {
        try {
          return lookupIssued(store, code);
        } catch (err) {
          if (!isIdentifierInputError(err)) throw err;
          const e = err as Error & { code: string };
          throw new CliExit(EXIT.no, `drugtrace codes check: ${e.code}: ${e.message}`, {
            ok: false,
            verdict: 'invalid',
            error: { code: e.code, message: e.message },
          });
        }
      });
      const human = `${result.canonical}: ${VERDICT_TEXT[result.verdict]}${result.productId !== undefined ? ` (product ${result.productId}${result.runId !== undefined ? `, run ${result.runId}` : ''})` : ''}`;
      if (result.verdict !== 'issued') throw new CliExit(EXIT.no, opts.json ? '' : human, { ok: false, ...result });
      out.result({ ok: true, ...result }, () => human);
    });
}

/** `drugtrace parse` recognisers for CN codes and EPC URNs (listed in cli/commands/parse.ts). */
const CN_INPUT = /^(\]C0)?8[0-9 -]+$/;
export const CN_RECOGNISER: Recogniser = {
  name: 'cn',
  matches: (input) =>
    /^urn:cn:nmpa:drugcode:/i.test(input) || (CN_INPUT.test(input) && input.replace(/^\]C0/, '').replace(/[ -]/g, '').length === 20),
  parse(input) {
    const uri = canonicalIdentifier(input);
    const c = parseCnCode(uri.slice(CN_URN_PREFIX.length));
    return {
      kind: 'cn',
      json: { ...c, formatted: formatCnCode(c), canonical: uri, checkVerified: false },
      text: [
        `CN drug traceability code: well formed`,
        `  product resource code  ${c.resourceCode}`,
        `  serial                 ${c.serial}`,
        `  check                  ${c.check} (not verified: the issuer's check is keyed)`,
        `Printed:    ${formatCnCode(c)}`,
        `Canonical:  ${uri}`,
      ],
    };
  },
};

export const EPC_RECOGNISER: Recogniser = {
  name: 'epc',
  matches: (input) => /^urn:epc:/i.test(input),
  parse(input) {
    const id = parseEpcUrn(input);
    const elements = epcToElements(id);
    const digitalLink = buildDigitalLink(elements);
    return {
      kind: 'epc',
      json: { epc: id, urn: formatEpcUrn(id), elements, bracketed: toBracketed(elements), digitalLink, canonical: canonicalIdentifier(input) },
      text: [
        `EPC ${id.kind} URN: valid`,
        ...Object.entries(id)
          .filter(([k]) => k !== 'kind')
          .map(([k, v]) => `  ${k.padEnd(18)} ${v ?? '(none)'}`),
        `Bracketed:     ${toBracketed(elements)}`,
        `Digital Link:  ${digitalLink}`,
      ],
    };
  },
};

/**
 * `codes issue --server`: the codes stream from the server (NDJSON, committed there before they are
 * sent) into the same writer as the local mode. The file is opened first; if the server refuses
 * before sending any code, the empty file is removed again. The summary is the local one, its run
 * id unknown (null) and the totals read back from the server's product.
 */
async function issueRemote(client: DrugTraceClient, opts: IssueOptions, format: ExportFormat, out: Output): Promise<void> {
  const toStdout = opts.out === undefined;
  const target = toStdout ? { stream: process.stdout as Writable, done: Promise.resolve() } : openOut(opts.out!, Boolean(opts.force));
  const writer = new CodeWriter(target.stream, format);
  const bar =
    opts.progress !== false && !opts.json && Boolean(process.stderr.isTTY)
      ? new cliProgress.SingleBar({ stream: process.stderr, format: 'issuing [{bar}] {percentage}% | {value}/{total} codes | ETA {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
      : undefined;
  bar?.start(opts.count, 0);
  let issued = 0;
  let pending: CodeRecord[] = [];
  try {
    for await (const record of client.issueCodesStream(opts.product, opts.count)) {
      pending.push(record);
      if (pending.length === 1000) {
        await writer.writeRecords(pending);
        issued += pending.length;
        pending = [];
        bar?.update(issued);
      }
    }
    await writer.writeRecords(pending);
    issued += pending.length;
    await writer.finish();
  } catch (err) {
    bar?.stop();
    // Codes that arrived are committed on the server: keep every one of them.
    if (pending.length > 0) {
      await writer.writeRecords(pending).catch(() => undefined);
      issued += pending.length;
    }
    if (!toStdout) {
      target.stream.end();
      await target.done.catch(() => undefined);
      if (issued === 0) unlinkSync(opts.out!);
    }
    if (issued > 0) process.stderr.write(`drugtrace codes issue: the answer broke off after ${issued} codes (committed on the server; written${opts.out ? ` to ${opts.out}` : ''})\n`);
    issuanceServerExit(err, 'codes issue');
  }
  bar?.stop();
  if (!toStdout) target.stream.end();
  await target.done;
  let after: Product;
  try {
    after = (await client.product(opts.product)) as unknown as Product;
  } catch (err) {
    issuanceServerExit(err, 'codes issue');
  }
  const guess = guessReport(after.rule);
  const summary = { ok: true, product: after.id, runId: null, issued, issuedTotal: after.rule.issuedCount, format, out: opts.out ?? null, guess };
  const human = `issued ${issued.toLocaleString('en-US')} codes for product ${after.id} (${after.name})${opts.out ? ` to ${opts.out} (${format})` : ''}; ${after.rule.issuedCount.toLocaleString('en-US')} issued in all; guess probability ${guess.guessProbability.toExponential(2)} (limit under 1.00e-4)`;
  if (toStdout) {
    if (!opts.json) process.stderr.write(human + '\n');
  } else out.result(summary, () => human);
}
