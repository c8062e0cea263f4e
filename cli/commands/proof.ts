/**
 * `drugtrace proof verify FILE [--operator-key VKEY] [--witness-key VKEY...] [--quorum N] [--json]`:
 * checks an offline proof bundle (docs/ledger-formats.md) with no server and no database.
 * Exit 0 when every check passes, 1 naming the first failed check, 2 when the file cannot be read
 * or is not JSON, or a key given on the command line is malformed.
 *
 * `proof export` (the store side) registers into the same `proof` group: see register() below.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliExit, EXIT, output } from '../common.ts';
import { nodeCrypto } from '../../ledger/crypto-node.ts';
import { nobleCrypto } from '../../ledger/crypto-noble.ts';
import { verifyBundle, type BundleReport, type ProofBundle } from '../../ledger/bundle.ts';
import { noteVerifierFromKey } from '../../ledger/note.ts';
import { parseWitnessKey } from '../../ledger/witness.ts';
import { registerProofExport } from './ledger.ts';
import { provenHistory, type ProvenHistory } from '../../trace/proof-history.ts';

interface VerifyOptions {
  operatorKey?: string[];
  witnessKey?: string[];
  quorum?: string;
  crypto?: string;
  json?: boolean;
}

function usage(message: string, code: string, details: Record<string, unknown> = {}): never {
  throw new CliExit(EXIT.usage, `drugtrace proof verify: ${message}`, { ok: false, error: { code, message, details } });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Each proven event and recall, one line each, in ledger order. */
function humanHistory(history: ProvenHistory): string[] {
  if (history.events.length === 0 && history.recalls.length === 0) return [];
  const lines = [`proven history: ${history.events.length} event(s), ${history.recalls.length} recall(s), in ledger order`];
  const rows = [
    ...history.events.map((e) => ({
      at: [e.position, e.item],
      line:
        `  #${e.position}.${e.item}  ${e.eventTime ?? '?'}  ${[e.eventType, e.action, e.bizStep, e.disposition ? `(${e.disposition})` : null].filter(Boolean).join(' ')}` +
        `  by ${e.party}  ${e.hashId ?? '(not an EPCIS event)'}` +
        (e.errorDeclaration ? `  [error declaration${e.errorDeclaration.reason ? `: ${e.errorDeclaration.reason}` : ''}]` : '') +
        (e.declaredErroneousAt ? `  [declared erroneous at #${e.declaredErroneousAt.position}.${e.declaredErroneousAt.item}]` : ''),
    })),
    ...history.recalls.map((r) => ({
      at: [r.position, -1],
      line: `  #${r.position}    ${r.kind} of ${r.product ?? '?'} lot ${r.lot ?? '?'} by ${r.party}: ${r.reason ?? ''}`,
    })),
  ].sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
  return [...lines, ...rows.map((r) => r.line)];
}

function humanReport(file: string, report: BundleReport, history: ProvenHistory = { events: [], recalls: [] }): string {
  const mark = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' } as const;
  const lines = [...report.checks.map((c) => `${mark[c.status]} ${c.check.padEnd(20)} ${c.message}${c.code ? ` [${c.code}]` : ''}`), ...humanHistory(history)];
  const trust: string[] = [];
  if (!report.trust.operatorKeyPinned) trust.push('note: the operator key was taken from the bundle; pass --operator-key to pin it');
  if (!report.trust.witnessKeysPinned) trust.push('note: no witness keys pinned; pass --witness-key to require cosignatures');
  const verdict = report.ok
    ? `${file}: verified — ${report.checks.filter((c) => c.check === 'entry-signature' && c.status === 'pass').length} entries against ${report.origin} at size ${report.size}`
    : `${file}: NOT verified — ${report.firstFailure!.check} failed: ${report.firstFailure!.code}: ${report.firstFailure!.message}`;
  return [...lines, ...trust, verdict].join('\n');
}

export function verifyCommand(file: string, opts: VerifyOptions): void {
  const out = output(opts);
  const backend = opts.crypto === 'noble' ? nobleCrypto : opts.crypto === undefined || opts.crypto === 'node' ? nodeCrypto : usage(`--crypto must be node or noble, not ${opts.crypto}`, 'CLI_BAD_OPTION');
  for (const key of opts.operatorKey ?? []) {
    try {
      noteVerifierFromKey(backend, key);
    } catch (err) {
      usage(`--operator-key ${key}: ${(err as Error).message}`, 'CLI_BAD_KEY', { key });
    }
  }
  for (const key of opts.witnessKey ?? []) {
    try {
      parseWitnessKey(backend, key);
    } catch (err) {
      usage(`--witness-key ${key}: ${(err as Error).message}`, 'CLI_BAD_KEY', { key });
    }
  }
  let quorum: number | undefined;
  if (opts.quorum !== undefined) {
    if (!/^(0|[1-9][0-9]{0,3})$/.test(opts.quorum)) usage(`--quorum must be a whole number, not ${opts.quorum}`, 'CLI_BAD_OPTION');
    quorum = Number(opts.quorum);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    usage(`cannot read ${file}: ${(err as Error).message}`, 'CLI_UNREADABLE_FILE', { file });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    usage(`${file} is not JSON: ${(err as Error).message}`, 'CLI_INVALID_JSON', { file });
  }
  const report = verifyBundle(value, { trustedOperatorKeys: opts.operatorKey, trustedWitnessKeys: opts.witnessKey, witnessQuorum: quorum }, backend);
  if (!report.ok) {
    const f = report.firstFailure!;
    if (!out.json) process.stdout.write(humanReport(file, report) + '\n');
    throw new CliExit(EXIT.no, out.json ? '' : `drugtrace proof verify: ${f.check} failed (${f.code})`, { file, ...report });
  }
  // Verified: every event and recall in the bundle is signed and in the checkpointed log.
  const history = provenHistory(value as ProofBundle, report);
  out.result({ file, ...report, ...history }, () => humanReport(file, report, history));
}

export function register(program: Command): void {
  const proof = program.command('proof').description('offline proof bundles: verify (and export, from a ledger)');
  proof
    .command('verify')
    .addHelpText('after', '\nLocal by nature: a bundle is checked with no server and no database (there is no --server); get one\nfrom a server with proof export CODE --server.')
    .description('check a proof bundle with no server and no database')
    .argument('<file>', 'proof bundle (JSON, drugtrace-proof-bundle/v1)')
    .option('--operator-key <vkey>', "trusted operator verifier key (repeatable); default: the bundle's own, reported as unpinned", collect)
    .option('--witness-key <vkey>', 'trusted witness cosignature key (repeatable)', collect)
    .option('--quorum <n>', 'valid cosignatures required (default: all --witness-key keys)')
    .option('--crypto <backend>', 'node (default) or noble (the browser code path)')
    .option('--json', 'print the verification report as one JSON document')
    .action((file: string, opts: VerifyOptions) => verifyCommand(file, opts));
  registerProofExport(proof);
}
