/**
 * Runtime view of the generated AI table: lookups, and per-AI validators compiled once at load
 * so that validating a scan is a handful of array reads and character-class tests.
 * No node: imports — this runs in the browser too.
 */
import { AI_ENTRIES, AI_TABLE_RELEASE } from './ai-table.generated.ts';
import { GS1Error } from './errors.ts';
import { LINTERS, type Linter } from './linters.ts';
import type { AIComponent, AIEntry } from './types.ts';

export { AI_ENTRIES, AI_TABLE_RELEASE };
export type { AIComponent, AIEntry } from './types.ts';

// Character classes as bits over 7-bit ASCII.
const BIT_N = 1;
const BIT_X = 2;
const BIT_Y = 4;
const BIT_Z = 8;
const CLASS = new Uint8Array(128);
const mark = (chars: string, bit: number) => {
  for (let i = 0; i < chars.length; i++) CLASS[chars.charCodeAt(i)] |= bit;
};
mark('0123456789', BIT_N | BIT_X | BIT_Y | BIT_Z);
mark('ABCDEFGHIJKLMNOPQRSTUVWXYZ', BIT_X | BIT_Y | BIT_Z);
mark('abcdefghijklmnopqrstuvwxyz', BIT_X | BIT_Z);
mark('!"%&\'()*+,.:;<=>?', BIT_X);
mark('-', BIT_X | BIT_Y | BIT_Z);
mark('_', BIT_X | BIT_Z);
mark('/', BIT_X | BIT_Y);
mark('#', BIT_Y);
mark('=', BIT_Z); // base64 padding; only accepted at the end of a Z component (checked below)

const CSET_BIT = { N: BIT_N, X: BIT_X, Y: BIT_Y, Z: BIT_Z } as const;
const CSET_RULE = { N: 'numeric', X: 'cset82', Y: 'cset39', Z: 'cset64' } as const;
const CSET_NAME = { N: 'a digit', X: 'in GS1 CSET 82', Y: 'in GS1 CSET 39', Z: 'in base64url (CSET 64)' } as const;

/** True when every character of `s` is in the AI character set `cset`. */
export function inCharacterSet(s: string, cset: AIComponent['cset']): boolean {
  const bit = CSET_BIT[cset];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c] & bit) === 0) return false;
  }
  return true;
}

/** A component's spec without linters, as the rule name for length errors: `N14`, `[X..17]`. */
function componentRule(c: AIComponent): string {
  const body = `${c.cset}${c.min === c.max ? c.max : `..${c.max}`}`;
  return c.optional ? `[${body}]` : body;
}

interface CompiledComponent {
  readonly bit: number;
  readonly cset: AIComponent['cset'];
  readonly min: number;
  readonly max: number;
  readonly optional: boolean;
  readonly rule: string;
  readonly linters: ReadonlyArray<readonly [string, Linter]>;
}

export interface CompiledAI {
  readonly entry: AIEntry;
  /** Concrete AIs (from the table) this AI is exclusive of; never itself. */
  readonly exclusive: ReadonlySet<string>;
  /** `req=` attributes: each a list of alternatives, each a list of AI sets that must all be hit. */
  readonly requires: ReadonlyArray<ReadonlyArray<ReadonlyArray<ReadonlySet<string>>>>;
  /** Throws GS1Error when `value` breaks a length, character-set or linter rule. */
  validateValue(value: string, position: number): void;
}

/** Does AI `ai` match a dictionary pattern such as `31nn` (`n` = any digit)? */
export function aiMatchesPattern(ai: string, pattern: string): boolean {
  if (ai.length !== pattern.length) return false;
  for (let i = 0; i < ai.length; i++) if (pattern[i] !== 'n' && pattern[i] !== ai[i]) return false;
  return true;
}

function expandPattern(pattern: string): Set<string> {
  return new Set(AI_ENTRIES.filter((e) => aiMatchesPattern(e.ai, pattern)).map((e) => e.ai));
}

function compile(entry: AIEntry): CompiledAI {
  const ai = entry.ai;
  const components: CompiledComponent[] = entry.components.map((c) => ({
    bit: CSET_BIT[c.cset],
    cset: c.cset,
    min: c.min,
    max: c.max,
    optional: c.optional,
    rule: componentRule(c),
    // Linters DrugTrace does not implement (UNIMPLEMENTED_LINTERS) are skipped here.
    linters: c.linters.filter((name) => LINTERS[name]).map((name) => [name, LINTERS[name]] as const),
  }));
  const exclusive = new Set<string>();
  for (const p of entry.ex) for (const other of expandPattern(p)) if (other !== ai) exclusive.add(other);
  const requires = entry.req.map((alternatives) => alternatives.map((group) => group.map(expandPattern)));

  function validateValue(value: string, position: number): void {
    const n = value.length;
    let i = 0;
    for (let k = 0; k < components.length; k++) {
      const c = components[k];
      if (i === n && c.optional) break;
      const remaining = n - i;
      if (remaining < c.min) {
        throw new GS1Error('GS1_TOO_SHORT', `data is ${n} characters; ${entry.spec} needs at least ${i + c.min}`, { ai, rule: c.rule, position: position + n });
      }
      const end = i + (remaining < c.max ? remaining : c.max);
      for (let j = i; j < end; j++) {
        const code = value.charCodeAt(j);
        if (code >= 128 || (CLASS[code] & c.bit) === 0 || (code === 61 && c.bit === BIT_Z && !trailingPadding(value, j, end))) {
          throw new GS1Error('GS1_BAD_CHARACTER', `character ${JSON.stringify(value[j])} is not ${CSET_NAME[c.cset]}`, {
            ai,
            rule: CSET_RULE[c.cset],
            position: position + j,
          });
        }
      }
      for (let l = 0; l < c.linters.length; l++) {
        const failure = c.linters[l][1](value, i, end);
        if (failure !== null) throw new GS1Error(failure.code, failure.message, { ai, rule: c.linters[l][0], position: position + failure.offset });
      }
      i = end;
    }
    if (i < n) {
      throw new GS1Error('GS1_TOO_LONG', `data is ${n} characters; ${entry.spec} allows at most ${entry.maxLength}`, {
        ai,
        rule: entry.spec.replace(/,[a-z0-9]+/g, ''),
        position: position + i,
      });
    }
  }
  return { entry, exclusive, requires, validateValue };
}

/** '=' is base64 padding: only a run of them at the end of the component. */
function trailingPadding(value: string, j: number, end: number): boolean {
  for (let k = j; k < end; k++) if (value.charCodeAt(k) !== 61) return false;
  return end - j <= 2;
}

const COMPILED = new Map<string, CompiledAI>();
for (const e of AI_ENTRIES) COMPILED.set(e.ai, compile(e));

/** AI length (2-4) indexed by the AI's first two digits as a number; 0 = no AI starts so. */
const LENGTH_BY_PREFIX = new Uint8Array(100);
for (const e of AI_ENTRIES) LENGTH_BY_PREFIX[Number(e.ai.slice(0, 2))] = e.ai.length;

/** The table entry for an AI, or undefined. */
export function getAI(ai: string): AIEntry | undefined {
  return COMPILED.get(ai)?.entry;
}

/** The compiled validator for an AI, or undefined. */
export function getCompiledAI(ai: string): CompiledAI | undefined {
  return COMPILED.get(ai);
}

/** How many digits an AI starting with these two digits has (0 when none does). */
export function aiLengthForPrefix(twoDigits: number): number {
  return twoDigits >= 0 && twoDigits < 100 ? LENGTH_BY_PREFIX[twoDigits] : 0;
}

/** The AI's title, e.g. `GTIN` for 01, or '' when unknown. */
export function aiTitle(ai: string): string {
  return COMPILED.get(ai)?.entry.title ?? '';
}
