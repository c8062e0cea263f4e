/**
 * GS1 parse + validate throughput: DrugTrace against gs1-barcode-parser-mod on the same inputs,
 * in the same process, then the invalid inputs it accepts that DrugTrace rejects.
 *
 *   npx tsx bench/gs1-parse.bench.ts [--seconds 2]
 */
import { createRequire } from 'node:module';
import { GS, GS1Error, gs1CheckDigit, parseScannerData } from '../codes/gs1/index.ts';

const require = createRequire(import.meta.url);
const { parseBarcode } = require('gs1-barcode-parser-mod') as { parseBarcode: (s: string) => unknown };

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2;

// Deterministic inputs: a small LCG so every run measures the same strings.
let seed = 20261127;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const digits = (n: number) => Array.from({ length: n }, () => rand(10)).join('');
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
const alnum = (n: number) => Array.from({ length: n }, () => ALNUM[rand(ALNUM.length)]).join('');
const withCheck = (n: number) => {
  const d = digits(n - 1);
  return d + gs1CheckDigit(d);
};
const date = () => `${String(24 + rand(6)).padStart(2, '0')}${String(1 + rand(12)).padStart(2, '0')}${String(1 + rand(28)).padStart(2, '0')}`;

/** What scanners read off pharma packs and logistic labels, with AIM identifiers. */
function validScan(): string {
  switch (rand(5)) {
    case 0: // EU FMD / DSCSA unit pack, GS1 DataMatrix: GTIN, expiry, lot, serial
    case 1:
      return `]d201${withCheck(14)}17${date()}10${alnum(6 + rand(5))}${GS}21${alnum(12)}`;
    case 2: // unit pack with serial before lot and a national number
      return `]d201${withCheck(14)}21${alnum(10)}${GS}17${date()}10${alnum(8)}${GS}710${alnum(7)}`;
    case 3: // logistic label, GS1-128: SSCC, content, count, lot
      return `]C100${withCheck(18)}02${withCheck(14)}37${1 + rand(500)}${GS}10${alnum(8)}`;
    default: // GS1 QR with net weight and best-before
      return `]Q301${withCheck(14)}3103${digits(6)}15${date()}10${alnum(5)}`;
  }
}

const gtin = '09501101530003';
/** Invalid inputs, each with what is wrong with it. */
const INVALID: Array<[what: string, input: string]> = [
  ['GTIN check digit wrong', `]d20109501101530004172604301${'0'}L1`],
  ['SSCC check digit wrong', `]C100106141412345678909`],
  ['30 February', `]d201${gtin}17260230` + `10L1`],
  ['month 13', `]d201${gtin}17261301` + `10L1`],
  ['31 April', `]d201${gtin}17260431` + `10L1`],
  ['(21) serial without (01)', `]d221ABC123`],
  ['(10) lot without a trade item key', `]d210LOT1`],
  ['(01) together with (02)', `]d201${gtin}02${gtin}37${'5'}`],
  ['two different net weights (3103 + 3102)', `]Q301${gtin}31030005253102005250`],
  ['same AI twice, different values', `]d201${gtin}10A${GS}10B`],
  ['lot one character too long (21)', `]d201${gtin}10${'A'.repeat(21)}`],
  ['character outside CSET 82 in serial', `]d201${gtin}21AB~C`],
  ['space in lot', `]d201${gtin}10AB C`],
  ['letter in a numeric field (GTIN)', `]d2010950110153000A`],
  ['truncated fixed-length GTIN', `]d20109501101530`],
  ['unknown AI (236)', `]d201${gtin}236X`],
  ['country code 999 in (422)', `]d201${gtin}422999`],
  ['currency 000 in (3912)', `]C18020R${GS}4154012345000009391200001`],
  ['ITIP piece 3 of 2 (8006)', `]d28006095011015300030302`],
  ['GMN check characters wrong (8013)', `]d280131987654Ad4X4bL5ttr2310c2L`],
  ['expiry time hour 24 (7003)', `]d201${gtin}70032604302400`],
];

const VALID = Array.from({ length: 2000 }, validScan);
// A realistic mix: about one read in ten is bad.
const MIX: string[] = [];
for (let i = 0; i < VALID.length; i++) {
  MIX.push(VALID[i]);
  if (i % 9 === 0) MIX.push(INVALID[(i / 9) % INVALID.length][1]);
}

function drugtrace(s: string): boolean {
  try {
    parseScannerData(s);
    return true;
  } catch (e) {
    if (e instanceof GS1Error) return false;
    throw e;
  }
}

function other(s: string): boolean {
  try {
    parseBarcode(s);
    return true;
  } catch {
    return false;
  }
}

// Both parsers must accept every valid input, or the comparison is meaningless.
for (const s of VALID) {
  if (!drugtrace(s)) throw new Error(`DrugTrace rejected a valid input: ${JSON.stringify(s)}`);
  if (!other(s)) throw new Error(`gs1-barcode-parser-mod rejected a valid input: ${JSON.stringify(s)}`);
}

function opsPerSecond(f: (s: string) => boolean, inputs: string[]): number {
  // Warm up, then count whole passes over the inputs for about SECONDS.
  for (let i = 0; i < 3; i++) for (const s of inputs) f(s);
  let n = 0;
  const start = performance.now();
  const until = start + SECONDS * 1000;
  let now = start;
  while (now < until) {
    for (const s of inputs) f(s);
    n += inputs.length;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`${SECONDS}s x 3 alternating rounds per parser and input set; best round kept`);
for (const [label, inputs] of [
  [`mix: ${VALID.length} valid scanner strings + ${MIX.length - VALID.length} invalid`, MIX],
  [`valid only: ${VALID.length} scanner strings`, VALID],
] as const) {
  let best = { drugtrace: 0, other: 0 };
  for (let round = 0; round < 3; round++) {
    best = {
      drugtrace: Math.max(best.drugtrace, opsPerSecond(drugtrace, inputs as string[])),
      other: Math.max(best.other, opsPerSecond(other, inputs as string[])),
    };
  }
  console.log(label);
  console.log(`  DrugTrace parse+validate:   ${fmt(best.drugtrace)} ops/s`);
  console.log(`  gs1-barcode-parser-mod:     ${fmt(best.other)} ops/s`);
  console.log(`  ratio DrugTrace / other:    ${(best.drugtrace / best.other).toFixed(2)}`);
}
console.log('');
console.log('invalid inputs:                               gs1-barcode-parser-mod   DrugTrace');
let acceptedByOther = 0;
for (const [what, input] of INVALID) {
  const o = other(input);
  const d = drugtrace(input);
  if (o && !d) acceptedByOther++;
  let code = '';
  try {
    parseScannerData(input);
  } catch (e) {
    code = (e as GS1Error).code;
  }
  console.log(`  ${what.padEnd(44)} ${(o ? 'ACCEPTS' : 'rejects').padEnd(24)} ${d ? 'ACCEPTS' : `rejects (${code})`}`);
}
console.log(`gs1-barcode-parser-mod accepts ${acceptedByOther} of ${INVALID.length} invalid inputs that DrugTrace rejects`);
