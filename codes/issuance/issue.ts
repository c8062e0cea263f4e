import type { Store } from '../../schemas/store.ts';
import { buildCnCode } from '../cn/index.ts';
import { IssuanceError } from './errors.ts';
import { getProduct, loadCheckScheme, ruleSpace, type Product } from './products.ts';
import { RandomSerials, groupDigits, guessProbability } from './serials.ts';

export const DEFAULT_ISSUE_BATCH_SIZE = 10_000;
/** Draws allowed for one serial before giving up: at ≤ 1% fill, 50 collisions in a row is ~10^-100. */
const MAX_DRAWS_PER_SERIAL = 50;

export interface IssueOptions {
  /** Serials committed per transaction (default 10,000). */
  batchSize?: number;
  /** Replaces the CSPRNG byte source; only for tests that force collisions. */
  randomFill?: (buf: Buffer) => void;
}

/** One committed transaction's worth of codes. Arrays are reused by nothing: safe to keep. */
export interface IssuedBatch {
  product: Product;
  /** The issuance_batches row this run writes to. */
  runId: number;
  serials: string[];
  /** For cn-20 rules: the 20-digit codes, in the same order as serials. */
  cnCodes?: string[];
  /** Committed in this run so far, including this batch. */
  issuedInRun: number;
  /** Committed for the product across all time. */
  issuedTotal: number;
  /** issuedTotal ÷ guess space. */
  guessProbability: number;
}

/**
 * Issues `count` new serials for a product, committing `batchSize` per transaction and yielding
 * each batch after its commit, so a caller streaming them to a file holds one batch at a time.
 * Codes are written out only after they are committed: a crash can burn serials (issued, never
 * printed) but never print one the database does not know.
 *
 * Refuses (ISSUE_CAPACITY) before writing anything when the product's total would pass the
 * rule's capacity (guess probability 1/10,000, or 1% fill), re-checking inside every transaction
 * in case another process issued meanwhile.
 */
/**
 * Refuses (before anything is written) a count that is not a whole number of at least 1, or one
 * that would bring the product past its rule's capacity (ISSUE_CAPACITY, naming the numbers).
 */
export function assertCanIssue(product: Product, count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new IssuanceError('ISSUE_COUNT', `count ${count} must be a whole number of at least 1`, { count });
  }
  const rule = product.rule;
  const space = ruleSpace(rule);
  if (BigInt(rule.issuedCount) + BigInt(count) > space.capacity) {
    const after = guessProbability(rule.issuedCount + count, space);
    throw new IssuanceError(
      'ISSUE_CAPACITY',
      `issuing ${groupDigits(count)} more codes for product ${product.id} would bring it to ${groupDigits(rule.issuedCount + count)} of at most ${groupDigits(space.capacity)} (guess probability ${after.toPrecision(3)}; limit under 1/10,000 and 1% of ${groupDigits(space.serials)} serials)`,
      { productId: product.id, issued: rule.issuedCount, count, capacity: space.capacity.toString() },
    );
  }
}

export function* issueCodes(store: Store, productId: number, count: number, opts: IssueOptions = {}): Generator<IssuedBatch, void, undefined> {
  const batchSize = opts.batchSize ?? DEFAULT_ISSUE_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new IssuanceError('ISSUE_COUNT', `batch size ${batchSize} must be a whole number of at least 1`, { batchSize });
  }
  const product = getProduct(store, productId);
  assertCanIssue(product, count);
  const rule = product.rule;
  const space = ruleSpace(rule);
  const capacity = space.capacity;
  const checkScheme = rule.scheme === 'cn-20' ? loadCheckScheme(store, rule.checkScheme!) : undefined;
  const random = new RandomSerials(rule.serialAlphabet, rule.serialLength, opts.randomFill);
  const sqlite = store.sql;

  const runId = (
    sqlite
      .prepare('INSERT INTO issuance_batches (product_id, requested, issued, started_at) VALUES (?, ?, 0, ?) RETURNING id')
      .get(productId, count, new Date().toISOString()) as { id: number }
  ).id;
  // One statement per round of draws, not one per serial: a round trip each on PostgreSQL. The
  // serials go in as one JSON array; the ones the unique index already holds come back missing.
  // (`WHERE true` lets SQLite tell the ON CONFLICT clause from a join's ON.)
  const insertSerials = sqlite
    .prepare(
      'INSERT INTO issued_serials (product_id, serial, batch_id) SELECT CAST(? AS BIGINT), value, CAST(? AS BIGINT) FROM json_each(?) WHERE true ON CONFLICT (product_id, serial) DO NOTHING RETURNING serial',
    )
    .pluck();
  const bumpRule = sqlite.prepare('UPDATE coding_rules SET issued_count = issued_count + ? WHERE id = ? AND issued_count + ? <= ?');
  const bumpRun = sqlite.prepare('UPDATE issuance_batches SET issued = issued + ? WHERE id = ?');
  const readIssued = sqlite.prepare('SELECT issued_count FROM coding_rules WHERE id = ?').pluck();
  const capacityNumber = Number(capacity > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : capacity);

  const collisions = (): never => {
    throw new IssuanceError('ISSUE_COLLISIONS', `${MAX_DRAWS_PER_SERIAL} serials in a row were already issued for product ${productId}: the random source is broken`, {
      productId,
    });
  };

  const commitBatch = sqlite.transaction((n: number): { serials: string[]; cnCodes?: string[]; total: number } => {
    // Reserve the count first: if another issuer got there, nothing of this batch is written.
    if (bumpRule.run(n, rule.id, n, capacityNumber).changes !== 1) {
      throw new IssuanceError('ISSUE_CAPACITY', `product ${productId} reached its capacity of ${groupDigits(capacity)} codes while issuing`, {
        productId,
        capacity: capacity.toString(),
      });
    }
    const serials: string[] = [];
    for (let round = 1; serials.length < n; round++) {
      // A serial slot still unfilled after this many rounds met an issued serial every time.
      if (round > MAX_DRAWS_PER_SERIAL) collisions();
      const drawn = new Set<string>();
      for (let wanted = n - serials.length; drawn.size < wanted; ) {
        let draws = 0;
        let serial: string;
        do {
          if (++draws > MAX_DRAWS_PER_SERIAL) collisions();
          serial = random.next();
        } while (drawn.has(serial));
        drawn.add(serial);
      }
      const stored = new Set(insertSerials.all(productId, runId, JSON.stringify([...drawn])) as string[]);
      for (const serial of drawn) if (stored.has(serial)) serials.push(serial);
    }
    bumpRun.run(n, runId);
    const cnCodes = checkScheme ? serials.map((s) => buildCnCode(product.cnResourceCode!, s, checkScheme).code) : undefined;
    return { serials, cnCodes, total: readIssued.get(rule.id) as number };
  });

  try {
    let done = 0;
    while (done < count) {
      const n = Math.min(batchSize, count - done);
      const { serials, cnCodes, total } = commitBatch.immediate(n);
      done += n;
      yield { product, runId, serials, cnCodes, issuedInRun: done, issuedTotal: total, guessProbability: guessProbability(total, space) };
    }
  } finally {
    sqlite.prepare('UPDATE issuance_batches SET finished_at = ? WHERE id = ?').run(new Date().toISOString(), runId);
  }
}

/** Issues and collects everything: for tests and small counts; use {@link issueCodes} for volume. */
export function issueAll(store: Store, productId: number, count: number, opts?: IssueOptions): { serials: string[]; cnCodes?: string[]; last: IssuedBatch } {
  const serials: string[] = [];
  const cnCodes: string[] = [];
  let last: IssuedBatch | undefined;
  for (const batch of issueCodes(store, productId, count, opts)) {
    serials.push(...batch.serials);
    if (batch.cnCodes) cnCodes.push(...batch.cnCodes);
    last = batch;
  }
  return { serials, cnCodes: last?.cnCodes ? cnCodes : undefined, last: last! };
}
