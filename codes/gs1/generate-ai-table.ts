/**
 * Generates codes/gs1/ai-table.generated.ts from the GS1 Barcode Syntax Dictionary, and
 * codes/gs1/code-lists.generated.ts (ISO 3166 / ISO 4217 code lists used by the linters).
 *
 *   npm run gen:ai-table [-- path/to/gs1-syntax-dictionary.txt]
 *
 * The output is deterministic: same dictionary and package versions, same bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AIComponent, AIEntry, CharacterSet } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_DICTIONARY = resolve(here, '../../../shared/reference/gs1/gs1-syntax-dictionary.txt');

export interface ParsedDictionary {
  release: string;
  entries: AIEntry[];
}

const COMPONENT = /^(\[)?([NXYZ])(\d+|\.\.\d+)(\])?((?:,[a-z0-9]+)*)$/;
const FLAG_CHARS = /^[*!?"$%&'()+,\-./:;<=>@[\\\]^_`{|}~]+$/;

function parseComponent(token: string, lineNo: number): AIComponent {
  const m = COMPONENT.exec(token);
  if (!m) throw new Error(`line ${lineNo}: bad component "${token}"`);
  if (Boolean(m[1]) !== Boolean(m[4])) throw new Error(`line ${lineNo}: unbalanced [] in "${token}"`);
  const variable = m[3].startsWith('..');
  const max = Number(variable ? m[3].slice(2) : m[3]);
  return {
    cset: m[2] as CharacterSet,
    min: variable ? 1 : max,
    max,
    optional: Boolean(m[1]),
    linters: m[5] ? m[5].slice(1).split(',') : [],
  };
}

function expandRange(spec: string, lineNo: number): string[] {
  const [from, to] = spec.split('-');
  if (to === undefined) return [from];
  if (from.length !== to.length || !/^\d+$/.test(from) || !/^\d+$/.test(to) || Number(to) < Number(from)) {
    throw new Error(`line ${lineNo}: bad AI range "${spec}"`);
  }
  const out: string[] = [];
  for (let n = Number(from); n <= Number(to); n++) out.push(String(n).padStart(from.length, '0'));
  return out;
}

export function parseDictionary(text: string): ParsedDictionary {
  const release = /^#\s*Release:\s*(\S+)/m.exec(text)?.[1];
  if (!release) throw new Error('dictionary header names no "Release:"');
  const entries: AIEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const hash = raw.indexOf('#');
    const title = hash >= 0 ? raw.slice(hash + 1).trim() : '';
    const tokens = (hash >= 0 ? raw.slice(0, hash) : raw).trim().split(/\s+/);
    const ais = expandRange(tokens.shift()!, lineNo);
    let flags = '';
    if (tokens.length && FLAG_CHARS.test(tokens[0])) flags = tokens.shift()!;
    const components: AIComponent[] = [];
    const specTokens: string[] = [];
    while (tokens.length && /^\[?[NXYZ]/.test(tokens[0])) {
      const t = tokens.shift()!;
      specTokens.push(t);
      components.push(parseComponent(t, lineNo));
    }
    if (components.length === 0) throw new Error(`line ${lineNo}: no specification`);
    components.forEach((c, i) => {
      if (c.min !== c.max && i !== components.length - 1) throw new Error(`line ${lineNo}: variable component not last`);
      if (!c.optional && components.slice(0, i).some((p) => p.optional)) throw new Error(`line ${lineNo}: mandatory after optional`);
    });
    const req: string[][][] = [];
    const ex: string[] = [];
    let dlpkey: string[][] | null = null;
    for (const attr of tokens) {
      const [key, value] = attr.split('=', 2) as [string, string | undefined];
      if (key === 'req' && value) req.push(value.split(',').map((alt) => alt.split('+')));
      else if (key === 'ex' && value) ex.push(...value.split(','));
      else if (key === 'dlpkey') dlpkey = value ? value.split('|').map((alt) => alt.split(',')) : [[]];
      else throw new Error(`line ${lineNo}: unknown attribute "${attr}"`);
    }
    for (const ai of ais) {
      entries.push({
        ai,
        title,
        predefinedLength: flags.includes('*'),
        dlDataAttribute: flags.includes('?'),
        components,
        spec: specTokens.join(' '),
        minLength: components.reduce((n, c) => n + (c.optional ? 0 : c.min), 0),
        maxLength: components.reduce((n, c) => n + c.max, 0),
        req,
        ex,
        dlpkey,
      });
    }
  });
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.ai)) throw new Error(`AI ${e.ai} defined twice`);
    seen.add(e.ai);
  }
  // Raw element strings rely on the AI length following from its first two digits.
  const lengthByPrefix = new Map<string, number>();
  for (const e of entries) {
    const known = lengthByPrefix.get(e.ai.slice(0, 2));
    if (known !== undefined && known !== e.ai.length) throw new Error(`AI prefix ${e.ai.slice(0, 2)} has AIs of two lengths`);
    lengthByPrefix.set(e.ai.slice(0, 2), e.ai.length);
  }
  return { release, entries };
}

function literal(value: unknown): string {
  return JSON.stringify(value).replace(/"([a-zA-Z]+)":/g, '$1:');
}

function renderTable(dict: ParsedDictionary, source: string): string {
  const lines = [
    '// GENERATED by codes/gs1/generate-ai-table.ts from the GS1 Barcode Syntax Dictionary.',
    '// Do not edit by hand: run `npm run gen:ai-table`.',
    `// Source: ${source} (Apache-2.0, (c) GS1 AISBL, BWIPP and Zint projects).`,
    "import type { AIEntry } from './types.ts';",
    '',
    '/** Release of the GS1 Barcode Syntax Dictionary this table was generated from. */',
    `export const AI_TABLE_RELEASE = ${JSON.stringify(dict.release)};`,
    '',
    `/** All ${dict.entries.length} AIs, ranges expanded, in the dictionary's lexical order. */`,
    'export const AI_ENTRIES: readonly AIEntry[] = [',
    ...dict.entries.map((e) => `  ${literal(e)},`),
    '];',
    '',
  ];
  return lines.join('\n');
}

function renderCodeLists(): string {
  const require = createRequire(import.meta.url);
  const countries = require('i18n-iso-countries') as {
    getNumericCodes(): Record<string, string>;
  };
  const currencies = require('currency-codes') as { data: Array<{ code: string; number: string }> };
  const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
  // XK (Kosovo) carries a user-assigned code in that package; it is not part of ISO 3166-1.
  const byNumeric = Object.entries(countries.getNumericCodes()).filter(([, a2]) => a2 !== 'XK');
  const numeric = byNumeric.map(([n]) => n).sort();
  const alpha2 = byNumeric.map(([, a]) => a).sort();
  const currency = [...new Set(currencies.data.map((c) => c.number).filter((n) => /^\d{3}$/.test(n)))].sort();
  const wrap = (xs: string[]) => xs.map((x) => `'${x}'`).join(',').replace(/((?:'[^']*',){20})/g, '$1\n  ');
  return [
    '// GENERATED by codes/gs1/generate-ai-table.ts. Do not edit by hand: run `npm run gen:ai-table`.',
    `// Sources: i18n-iso-countries@${version('i18n-iso-countries')} (ISO 3166-1), currency-codes@${version('currency-codes')} (ISO 4217).`,
    '',
    '/** ISO 3166-1 numeric country codes. */',
    `export const ISO3166_NUMERIC: readonly string[] = [\n  ${wrap(numeric)}\n];`,
    '',
    '/** ISO 3166-1 alpha-2 country codes. */',
    `export const ISO3166_ALPHA2: readonly string[] = [\n  ${wrap(alpha2)}\n];`,
    '',
    '/** ISO 4217 numeric currency codes. */',
    `export const ISO4217_NUMERIC: readonly string[] = [\n  ${wrap(currency)}\n];`,
    '',
  ].join('\n');
}

/**
 * With --check, writes nothing and exits 1 when the committed files differ from what the
 * dictionary generates (a conformance check; needs the shared reference folder).
 */
function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const dictionaryPath = resolve(args.find((a) => !a.startsWith('--')) ?? DEFAULT_DICTIONARY);
  const dict = parseDictionary(readFileSync(dictionaryPath, 'utf8'));
  const source = `gs1-syntax-dictionary.txt, release ${dict.release}`;
  const outputs: Array<[string, string]> = [
    [join(here, 'ai-table.generated.ts'), renderTable(dict, source)],
    [join(here, 'code-lists.generated.ts'), renderCodeLists()],
  ];
  if (check) {
    const stale = outputs.filter(([file, text]) => readFileSync(file, 'utf8') !== text).map(([file]) => file);
    if (stale.length) {
      process.stderr.write(`out of date (run npm run gen:ai-table): ${stale.join(', ')}\n`);
      process.exit(1);
    }
    process.stderr.write(`up to date: ${dict.entries.length} AIs (release ${dict.release})\n`);
    return;
  }
  for (const [file, text] of outputs) writeFileSync(file, text);
  process.stderr.write(`wrote ${dict.entries.length} AIs (release ${dict.release})\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
