import { randomBytes } from 'node:crypto';
import type { Store } from '../../schemas/store.ts';
import { CODING_SCHEMES, PACKAGING_LEVELS, PRODUCT_CATEGORIES } from '../../schemas/tables/issuance.ts';
import { hmacSha256CheckScheme, publicSha256CheckScheme, type CnCheckScheme } from '../cn/index.ts';
import { gs1CheckDigit } from '../gs1/index.ts';
import { IssuanceError } from './errors.ts';
import {
  GS1_MAX_SERIAL_LENGTH,
  groupDigits,
  guessProbability,
  resolveAlphabet,
  serialSpace,
  type SerialAlphabetName,
  type SerialSpace,
} from './serials.ts';

export type ProductCategory = (typeof PRODUCT_CATEGORIES)[number];
export type PackagingLevel = (typeof PACKAGING_LEVELS)[number];
export type CodingScheme = (typeof CODING_SCHEMES)[number];

export { CODING_SCHEMES, PACKAGING_LEVELS, PRODUCT_CATEGORIES };

export interface CodingRuleInput {
  /** Defaults to gs1-sgtin when the product has a GTIN, else cn-20. */
  scheme?: CodingScheme;
  /** numeric (default), alnum-safe, or custom characters. cn-20 serials are always numeric. */
  serialAlphabet?: string;
  /** GS1: 1..20 (default: 12, or longer if the planned volume needs it). cn-20: always 9. */
  serialLength?: number;
  /** Codes the product is expected to need over its life (default 1,000,000). */
  plannedVolume?: number;
  /** cn-20 only: the check scheme id (default: this database's keyed issuer scheme). */
  checkScheme?: string;
}

export interface ProductInput {
  name: string;
  /** GTIN-8/12/13/14; stored as GTIN-14. */
  gtin?: string;
  /** CN product resource code: 7 digits starting with 8. */
  cnResourceCode?: string;
  category: ProductCategory;
  packagingLevel?: PackagingLevel;
  storageMinC?: number;
  storageMaxC?: number;
  rule?: CodingRuleInput;
}

export interface CodingRule {
  id: number;
  scheme: CodingScheme;
  serialAlphabetName: SerialAlphabetName;
  serialAlphabet: string;
  serialLength: number;
  plannedVolume: number;
  checkScheme: string | null;
  issuedCount: number;
}

export interface Product {
  id: number;
  name: string;
  gtin: string | null;
  cnResourceCode: string | null;
  category: ProductCategory;
  packagingLevel: PackagingLevel;
  storageMinC: number | null;
  storageMaxC: number | null;
  createdAt: string;
  rule: CodingRule;
}

/** A rule's serial space and where issuance stands against it. */
export interface GuessReport {
  serialSpace: string;
  checkFactor: number;
  guessSpace: string;
  capacity: string;
  plannedVolume: number;
  issued: number;
  /** issued ÷ guess space now. */
  guessProbability: number;
  /** planned volume ÷ guess space: what the rule was admitted on. */
  plannedGuessProbability: number;
}

export const DEFAULT_PLANNED_VOLUME = 1_000_000;
export const DEFAULT_GS1_SERIAL_LENGTH = 12;
export const CN_SERIAL_LENGTH = 9;
/** The keyed check scheme every cn-20 rule in a database uses unless told otherwise. */
export const DEFAULT_CN_CHECK_SCHEME = 'hmac-sha256:issuer';
export const PUBLIC_CN_CHECK_SCHEME = 'sha256-public';

function invalid(field: string, message: string): never {
  throw new IssuanceError('ISSUE_PRODUCT_INVALID', message, { field });
}

/** GTIN-8/12/13/14 with a correct check digit, returned as GTIN-14. */
export function normaliseGtin(gtin: string): string {
  if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(gtin)) invalid('gtin', `GTIN ${JSON.stringify(gtin)} must be 8, 12, 13 or 14 digits`);
  const expected = gs1CheckDigit(gtin.slice(0, -1));
  if (String(expected) !== gtin.slice(-1)) {
    invalid('gtin', `GTIN ${gtin}: check digit is ${gtin.slice(-1)}, expected ${expected}`);
  }
  return gtin.padStart(14, '0');
}

function isKeyedScheme(checkScheme: string | null): boolean {
  return checkScheme !== null && checkScheme !== PUBLIC_CN_CHECK_SCHEME;
}

export function ruleSpace(rule: Pick<CodingRule, 'scheme' | 'serialAlphabet' | 'serialLength' | 'checkScheme'>): SerialSpace {
  return serialSpace(rule.serialAlphabet.length, rule.serialLength, rule.scheme === 'cn-20' && isKeyedScheme(rule.checkScheme));
}

export function guessReport(rule: CodingRule): GuessReport {
  const space = ruleSpace(rule);
  return {
    serialSpace: space.serials.toString(),
    checkFactor: Number(space.checkFactor),
    guessSpace: space.guessSpace.toString(),
    capacity: space.capacity.toString(),
    plannedVolume: rule.plannedVolume,
    issued: rule.issuedCount,
    guessProbability: guessProbability(rule.issuedCount, space),
    plannedGuessProbability: guessProbability(rule.plannedVolume, space),
  };
}

/** Explains why a space cannot carry a volume, naming the numbers. */
function spaceRefusal(volume: number, space: SerialSpace, alphabetSize: number, length: number): string {
  const what = `${alphabetSize}^${length} = ${groupDigits(space.serials)} serials${space.checkFactor > 1n ? ` × 10,000 keyed checks` : ''}`;
  const p = guessProbability(volume, space);
  if (BigInt(volume) * 10_000n >= space.guessSpace) {
    return `planned volume ${groupDigits(volume)} over a guess space of ${what} gives a guess probability of ${p.toPrecision(3)}, not under 1/10,000 (at most ${groupDigits(space.capacity)} codes)`;
  }
  return `planned volume ${groupDigits(volume)} would fill more than 1% of ${what} (at most ${groupDigits(space.capacity)} codes)`;
}

interface ResolvedRule {
  scheme: CodingScheme;
  alphabetName: SerialAlphabetName;
  alphabet: string;
  length: number;
  plannedVolume: number;
  checkScheme: string | null;
}

function resolveRule(input: CodingRuleInput, gtin: string | null, cnResourceCode: string | null): ResolvedRule {
  const scheme = input.scheme ?? (gtin ? 'gs1-sgtin' : 'cn-20');
  if (!(CODING_SCHEMES as readonly string[]).includes(scheme)) {
    throw new IssuanceError('ISSUE_RULE_INVALID', `coding scheme ${JSON.stringify(scheme)} is not one of ${CODING_SCHEMES.join(', ')}`, { field: 'scheme' });
  }
  const plannedVolume = input.plannedVolume ?? DEFAULT_PLANNED_VOLUME;
  if (!Number.isSafeInteger(plannedVolume) || plannedVolume < 1) {
    throw new IssuanceError('ISSUE_RULE_INVALID', `planned volume ${plannedVolume} must be a whole number of at least 1`, { field: 'plannedVolume' });
  }
  const { name: alphabetName, chars: alphabet } = resolveAlphabet(input.serialAlphabet ?? 'numeric');

  if (scheme === 'gs1-sgtin') {
    if (!gtin) throw new IssuanceError('ISSUE_RULE_INVALID', 'coding scheme gs1-sgtin needs a product with a GTIN', { field: 'scheme' });
    if (input.checkScheme !== undefined) {
      throw new IssuanceError('ISSUE_RULE_INVALID', 'a check scheme applies to cn-20 rules only', { field: 'checkScheme' });
    }
    let length = input.serialLength;
    if (length === undefined) {
      // The default grows with the planned volume until the guess rule holds.
      length = DEFAULT_GS1_SERIAL_LENGTH;
      while (length < GS1_MAX_SERIAL_LENGTH && serialSpace(alphabet.length, length, false).capacity < BigInt(plannedVolume)) length++;
    }
    if (!Number.isInteger(length) || length < 1 || length > GS1_MAX_SERIAL_LENGTH) {
      throw new IssuanceError('ISSUE_RULE_INVALID', `serial length ${length} must be 1..${GS1_MAX_SERIAL_LENGTH} (GS1 AI 21)`, { field: 'serialLength' });
    }
    return { scheme, alphabetName, alphabet, length, plannedVolume, checkScheme: null };
  }

  if (!cnResourceCode) throw new IssuanceError('ISSUE_RULE_INVALID', 'coding scheme cn-20 needs a product with a CN product resource code', { field: 'scheme' });
  if (alphabetName !== 'numeric') {
    throw new IssuanceError('ISSUE_RULE_INVALID', 'cn-20 serials are 9 digits: the serial alphabet must be numeric', { field: 'serialAlphabet' });
  }
  if (input.serialLength !== undefined && input.serialLength !== CN_SERIAL_LENGTH) {
    throw new IssuanceError('ISSUE_RULE_INVALID', `cn-20 serials are ${CN_SERIAL_LENGTH} digits, not ${input.serialLength}`, { field: 'serialLength' });
  }
  return {
    scheme,
    alphabetName,
    alphabet,
    length: CN_SERIAL_LENGTH,
    plannedVolume,
    checkScheme: input.checkScheme ?? DEFAULT_CN_CHECK_SCHEME,
  };
}

function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Registers a product variety and its coding rule in one transaction. A rule whose serial space
 * cannot keep planned volume ÷ space under 1/10,000 is refused (ISSUE_SERIAL_SPACE).
 */
export function registerProduct(store: Store, input: ProductInput): Product {
  const name = input.name?.trim();
  if (!name) invalid('name', 'product name must not be empty');
  if (!(PRODUCT_CATEGORIES as readonly string[]).includes(input.category)) {
    invalid('category', `category ${JSON.stringify(input.category)} is not one of ${PRODUCT_CATEGORIES.join(', ')}`);
  }
  const packagingLevel = input.packagingLevel ?? 'unit';
  if (!(PACKAGING_LEVELS as readonly string[]).includes(packagingLevel)) {
    invalid('packagingLevel', `packaging level ${JSON.stringify(packagingLevel)} is not one of ${PACKAGING_LEVELS.join(', ')}`);
  }
  const gtin = input.gtin !== undefined ? normaliseGtin(input.gtin) : null;
  const cnResourceCode = input.cnResourceCode ?? null;
  if (cnResourceCode !== null && !/^8\d{6}$/.test(cnResourceCode)) {
    invalid('cnResourceCode', `CN product resource code ${JSON.stringify(cnResourceCode)} must be 7 digits starting with 8`);
  }
  if (!gtin && !cnResourceCode) invalid('gtin', 'a product needs a GTIN or a CN product resource code');
  for (const [field, v] of [['storageMinC', input.storageMinC], ['storageMaxC', input.storageMaxC]] as const) {
    if (v !== undefined && !Number.isFinite(v)) invalid(field, `${field} must be a number of °C`);
  }
  if (input.storageMinC !== undefined && input.storageMaxC !== undefined && input.storageMinC > input.storageMaxC) {
    invalid('storageMinC', `storage range ${input.storageMinC}..${input.storageMaxC} °C runs backwards`);
  }

  const rule = resolveRule(input.rule ?? {}, gtin, cnResourceCode);
  const space = serialSpace(rule.alphabet.length, rule.length, rule.scheme === 'cn-20' && isKeyedScheme(rule.checkScheme));
  if (BigInt(rule.plannedVolume) > space.capacity) {
    throw new IssuanceError('ISSUE_SERIAL_SPACE', `coding rule refused: ${spaceRefusal(rule.plannedVolume, space, rule.alphabet.length, rule.length)}`, {
      plannedVolume: rule.plannedVolume,
      serialSpace: space.serials.toString(),
      guessSpace: space.guessSpace.toString(),
      capacity: space.capacity.toString(),
    });
  }

  const createdAt = nowIso();
  const id = store.sql.transaction(() => {
    const clash = store.sql
      .prepare('SELECT id, gtin, cn_resource_code FROM products WHERE gtin = ? OR cn_resource_code = ?')
      .get(gtin, cnResourceCode) as { id: number; gtin: string | null } | undefined;
    if (clash) {
      const which = gtin && clash.gtin === gtin ? `GTIN ${gtin}` : `CN product resource code ${cnResourceCode}`;
      throw new IssuanceError('ISSUE_PRODUCT_EXISTS', `${which} is already registered as product ${clash.id}`, { productId: clash.id });
    }
    if (rule.checkScheme && rule.checkScheme !== PUBLIC_CN_CHECK_SCHEME) ensureCheckKey(store, rule.checkScheme);
    const row = store.sql
      .prepare(
        `INSERT INTO products (name, gtin, cn_resource_code, category, packaging_level, storage_min_c, storage_max_c, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .get(name, gtin, cnResourceCode, input.category, packagingLevel, input.storageMinC ?? null, input.storageMaxC ?? null, createdAt) as { id: number };
    store.sql
      .prepare(
        `INSERT INTO coding_rules (product_id, scheme, serial_alphabet_name, serial_alphabet, serial_length, planned_volume, check_scheme, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, rule.scheme, rule.alphabetName, rule.alphabet, rule.length, rule.plannedVolume, rule.checkScheme ?? null, createdAt);
    return row.id;
  })();
  return getProduct(store, id);
}

/** Creates the secret of a keyed check scheme the first time a rule names it. */
function ensureCheckKey(store: Store, schemeId: string): void {
  store.sql
    .prepare('INSERT INTO cn_check_keys (scheme_id, key, created_at) VALUES (?, ?, ?) ON CONFLICT (scheme_id) DO NOTHING')
    .run(schemeId, randomBytes(32), nowIso());
}

/** The CN check scheme a rule names, with its key from the database. */
export function loadCheckScheme(store: Store, schemeId: string): CnCheckScheme {
  if (schemeId === PUBLIC_CN_CHECK_SCHEME) return publicSha256CheckScheme(PUBLIC_CN_CHECK_SCHEME);
  const row = store.sql.prepare('SELECT key FROM cn_check_keys WHERE scheme_id = ?').get(schemeId) as { key: Uint8Array } | undefined;
  if (!row) throw new IssuanceError('ISSUE_UNKNOWN_CHECK_SCHEME', `no key is stored for CN check scheme ${JSON.stringify(schemeId)}`, { checkScheme: schemeId });
  return hmacSha256CheckScheme({ id: schemeId, key: new Uint8Array(row.key) });
}

/** The columns of a product joined with its coding rule, named as `Product` names them. */
const PRODUCT_SELECT = `SELECT p.id, p.name, p.gtin, p.cn_resource_code AS "cnResourceCode", p.category, p.packaging_level AS "packagingLevel",
  p.storage_min_c AS "storageMinC", p.storage_max_c AS "storageMaxC", p.created_at AS "createdAt",
  r.id AS "ruleId", r.scheme, r.serial_alphabet_name AS "serialAlphabetName", r.serial_alphabet AS "serialAlphabet",
  r.serial_length AS "serialLength", r.planned_volume AS "plannedVolume", r.check_scheme AS "checkScheme", r.issued_count AS "issuedCount"
  FROM products p JOIN coding_rules r ON r.product_id = p.id`;

interface ProductRow extends Omit<Product, 'rule'>, Omit<Product['rule'], 'id'> {
  ruleId: number;
}

function toProduct(p: ProductRow): Product {
  return {
    id: p.id,
    name: p.name,
    gtin: p.gtin,
    cnResourceCode: p.cnResourceCode,
    category: p.category,
    packagingLevel: p.packagingLevel,
    storageMinC: p.storageMinC,
    storageMaxC: p.storageMaxC,
    createdAt: p.createdAt,
    rule: {
      id: p.ruleId,
      scheme: p.scheme,
      serialAlphabetName: p.serialAlphabetName as SerialAlphabetName,
      serialAlphabet: p.serialAlphabet,
      serialLength: p.serialLength,
      plannedVolume: p.plannedVolume,
      checkScheme: p.checkScheme,
      issuedCount: p.issuedCount,
    },
  };
}

export function getProduct(store: Store, id: number): Product {
  const row = store.sql.prepare(`${PRODUCT_SELECT} WHERE p.id = ?`).get(id) as ProductRow | undefined;
  if (!row) {
    const bare = store.sql.prepare('SELECT id FROM products WHERE id = ?').get(id);
    if (bare) throw new IssuanceError('ISSUE_NO_RULE', `product ${id} has no coding rule`, { productId: id });
    throw new IssuanceError('ISSUE_UNKNOWN_PRODUCT', `no product with id ${id}`, { productId: id });
  }
  return toProduct(row);
}

export function listProducts(store: Store): Product[] {
  return (store.sql.prepare(`${PRODUCT_SELECT} ORDER BY p.id`).all() as ProductRow[]).map(toProduct);
}
