/** What the detectors and alerts commands share: turning oversight refusals into exits. */
import { LedgerError } from '../../ledger/entry.ts';
import { OversightError } from '../../trace/oversight/index.ts';
import { CliExit, EXIT } from '../common.ts';
import { ledgerExit } from './ledger.ts';

const USAGE = new Set(['OVERSIGHT_BAD_PARAMETERS', 'OVERSIGHT_BAD_RANGE', 'OVERSIGHT_BAD_REVIEW', 'OVERSIGHT_UNKNOWN_DETECTOR', 'OVERSIGHT_UNKNOWN_VERSION', 'OVERSIGHT_BAD_FILING']);

export function oversightExit(err: unknown, command: string): never {
  if (err instanceof OversightError) {
    throw new CliExit(USAGE.has(err.code) ? EXIT.usage : EXIT.no, `drugtrace ${command}: refused: ${err.message}`, { ok: false, error: { code: err.code, message: err.message, details: err.details } });
  }
  if (err instanceof LedgerError) ledgerExit(err, command);
  throw err;
}

export function usage(command: string, message: string, option: string, value: unknown): never {
  throw new CliExit(EXIT.usage, `drugtrace ${command}: ${message}`, { ok: false, error: { code: 'CLI_BAD_OPTION', message, details: { option, value } } });
}

export function integerOption(command: string, option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) usage(command, `${option} ${JSON.stringify(value)} is not a whole number`, option, value);
  return Number(value);
}
