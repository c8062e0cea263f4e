/**
 * `drugtrace parse STRING [--json]`: recognise a code in any form, validate it, and show it in
 * its other forms. Recognisers are tried in order; the first whose `matches` claims the input
 * parses it. Other code families (CN codes, EPC URNs) add a recogniser to RECOGNISERS.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { aiTitle, buildDigitalLink, DigitalLinkError, looksLikeGS1, parseGS1, toBracketed, toRaw } from '../../codes/gs1/index.ts';
import { CliExit, EXIT, output } from '../common.ts';
import { KEYSTROKE_RECOGNISER } from './scan.ts';
import { CN_RECOGNISER, EPC_RECOGNISER } from './codes.ts';

/** What a recogniser returns for a valid code. */
export interface ParsedCode {
  /** Family of the code, e.g. `gs1`. */
  kind: string;
  /** The document printed with --json (merged with `{ valid: true, kind }`). */
  json: Record<string, unknown>;
  /** Lines printed for people. */
  text: string[];
}

export interface Recogniser {
  name: string;
  /** Cheap test whether the input looks like this family's code (no validation). */
  matches(input: string): boolean;
  /** Parses and validates; throws the family's typed error (an Error with a string `code`). */
  parse(input: string): ParsedCode;
}

const GS1_RECOGNISER: Recogniser = {
  name: 'gs1',
  matches: looksLikeGS1,
  parse(input) {
    const parsed = parseGS1(input);
    let digitalLink: string | null = null;
    let digitalLinkError: { code: string; message: string } | null = null;
    try {
      digitalLink = buildDigitalLink(parsed.elements);
    } catch (err) {
      if (!(err instanceof DigitalLinkError)) throw err;
      digitalLinkError = { code: err.code, message: err.message };
    }
    const elements = parsed.elements.map((e) => ({ ai: e.ai, title: aiTitle(e.ai), value: e.value }));
    const width = Math.max(...elements.map((e) => e.ai.length + e.title.length + 3));
    return {
      kind: 'gs1',
      json: {
        form: parsed.form,
        symbology: parsed.symbology,
        elements,
        bracketed: toBracketed(parsed.elements),
        raw: toRaw(parsed.elements),
        digitalLink,
        ...(digitalLinkError ? { digitalLinkError } : {}),
      },
      text: [
        `GS1 ${parsed.form === 'digital-link' ? 'Digital Link' : `element string (${parsed.form})`}${parsed.symbology ? `, symbology ${parsed.symbology}` : ''}: valid`,
        ...elements.map((e) => `  ${`(${e.ai}) ${e.title}`.padEnd(width)}  ${e.value}`),
        `Bracketed:     ${toBracketed(parsed.elements)}`,
        `Digital Link:  ${digitalLink ?? `none (${digitalLinkError!.message})`}`,
      ],
    };
  },
};

/** Tried in order; put more specific recognisers before broader ones. */
export const RECOGNISERS: Recogniser[] = [CN_RECOGNISER, EPC_RECOGNISER, KEYSTROKE_RECOGNISER, GS1_RECOGNISER];

/** Command-line spellings of the GS (FNC1) character, since a shell argument cannot easily carry 0x1D. */
export function unescapeGroupSeparators(s: string): string {
  return s.replace(/\\x1d|\\u001d|<GS>|\{GS\}/gi, '\x1d');
}

interface CodeError extends Error {
  code: string;
  ai?: string | null;
  rule?: string;
  position?: number;
}

function isCodeError(err: unknown): err is CodeError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

export function register(program: Command): void {
  program
    .command('parse')
    .addHelpText('after', '\nLocal by nature: parsing needs no ledger and no server (there is no --server).')
    .description('parse and validate a code: GS1 element string (bracketed, raw, scanner data) or Digital Link')
    .argument('<string>', 'the code; "-" reads it from stdin; write GS (FNC1) as \\x1d, <GS> or {GS}')
    .option('--json', 'print one JSON document')
    .action((arg: string, opts: { json?: boolean }) => {
      const out = output(opts);
      const input = unescapeGroupSeparators(arg === '-' ? readFileSync(0, 'utf8').replace(/[\r\n]+$/, '') : arg);
      const recogniser = RECOGNISERS.find((r) => r.matches(input));
      if (!recogniser) {
        const error = { code: 'PARSE_UNRECOGNISED', message: 'not a code DrugTrace recognises (GS1 element string or Digital Link)' };
        throw new CliExit(EXIT.no, `drugtrace parse: ${error.message}`, { valid: false, input, error });
      }
      let parsed: ParsedCode;
      try {
        parsed = recogniser.parse(input);
      } catch (err) {
        if (!isCodeError(err)) throw err;
        const error = {
          code: err.code,
          ai: err.ai ?? null,
          rule: err.rule ?? null,
          position: err.position ?? null,
          message: err.message,
        };
        const where = [error.ai !== null ? `AI ${error.ai}` : null, error.rule ? `rule ${error.rule}` : null, error.position !== null ? `position ${error.position}` : null]
          .filter(Boolean)
          .join(', ');
        const human = err.message.includes(err.code) ? err.message : `${err.code}${where ? ` (${where})` : ''}: ${err.message}`;
        throw new CliExit(EXIT.no, `invalid: ${human}`, { valid: false, kind: recogniser.name, input, error });
      }
      out.result({ valid: true, kind: parsed.kind, ...parsed.json }, () => parsed.text.join('\n'));
    });
}
