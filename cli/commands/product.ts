/**
 * `drugtrace product add|list`: register product varieties with their coding rule (before any
 * code is issued, as the CN rules require) and list them with their guess probability.
 */
import type { Command } from 'commander';
import {
  CODING_SCHEMES,
  IssuanceError,
  PACKAGING_LEVELS,
  PRODUCT_CATEGORIES,
  guessReport,
  listProducts,
  registerProduct,
  type Product,
} from '../../codes/issuance/index.ts';
import { openStore, type Store } from '../../schemas/store.ts';
import { CliExit, DB_HELP, EXIT, output, resolveDbFile } from '../common.ts';
import { ApiClientError } from '../../api/client.ts';
import { serverClient, serverExit, serverOptions, type ServerOptions } from '../server.ts';

/** Refusals of a well-formed request exit 1 ("no"); malformed requests exit 2 (usage). */
const REFUSALS = new Set(['ISSUE_SERIAL_SPACE', 'ISSUE_CAPACITY', 'ISSUE_PRODUCT_EXISTS', 'ISSUE_COLLISIONS']);

export function issuanceExit(err: unknown, command: string): never {
  if (err instanceof IssuanceError) {
    const exitCode = REFUSALS.has(err.code) ? EXIT.no : EXIT.usage;
    throw new CliExit(exitCode, `drugtrace ${command}: ${err.code}: ${err.message}`, {
      ok: false,
      error: { code: err.code, message: err.message, details: err.details },
    });
  }
  throw err;
}

/** A server's issuance refusal exits as the local one would (ISSUE_* codes); anything else as serverExit maps it. */
export function issuanceServerExit(err: unknown, command: string): never {
  if (err instanceof ApiClientError && err.code.startsWith('ISSUE_')) {
    throw new CliExit(REFUSALS.has(err.code) ? EXIT.no : EXIT.usage, `drugtrace ${command}: ${err.code} (HTTP ${err.status}): ${err.message}`, {
      ok: false,
      error: { code: err.code, message: err.message, details: err.details, status: err.status },
    });
  }
  serverExit(err, command);
}

export function withStore<T>(db: string | undefined, fn: (store: Store) => T): T {
  const store = openStore(resolveDbFile(db));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export async function withStoreAsync<T>(db: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(resolveDbFile(db));
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

export function parseWholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw new CliExit(EXIT.usage, `drugtrace: ${flag} must be a whole number, got ${JSON.stringify(value)}`, {
        ok: false,
        error: { code: 'CLI_BAD_NUMBER', message: `${flag} must be a whole number`, details: { flag, value } },
      });
    }
    return Number(value);
  };
}

function parseStorage(value: string): { min: number; max: number } {
  const m = /^(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)$/.exec(value);
  if (!m) {
    throw new CliExit(EXIT.usage, `drugtrace product add: --storage must look like 2..8 (°C), got ${JSON.stringify(value)}`, {
      ok: false,
      error: { code: 'CLI_BAD_STORAGE', message: '--storage must look like MIN..MAX', details: { value } },
    });
  }
  return { min: Number(m[1]), max: Number(m[2]) };
}

function describeProduct(p: Product): string {
  const g = guessReport(p.rule);
  const keys = [p.gtin ? `GTIN ${p.gtin}` : null, p.cnResourceCode ? `CN ${p.cnResourceCode}` : null].filter(Boolean).join(', ');
  const storage = p.storageMinC !== null || p.storageMaxC !== null ? `, stored ${p.storageMinC ?? '…'}..${p.storageMaxC ?? '…'} °C` : '';
  return [
    `product ${p.id}: ${p.name} (${keys}; ${p.category}, ${p.packagingLevel}${storage})`,
    `  rule: ${p.rule.scheme}, serial ${p.rule.serialLength} × ${p.rule.serialAlphabetName} (${p.rule.serialAlphabet.length} symbols)` +
      (p.rule.checkScheme ? `, check ${p.rule.checkScheme}` : ''),
    `  issued ${g.issued.toLocaleString('en-US')} of planned ${g.plannedVolume.toLocaleString('en-US')} (capacity ${BigInt(g.capacity).toLocaleString('en-US')}); guess probability ${g.guessProbability.toExponential(2)} now, ${g.plannedGuessProbability.toExponential(2)} at planned volume`,
  ].join('\n');
}

function productJson(p: Product) {
  return { ...p, guess: guessReport(p.rule) };
}

interface AddOptions {
  name: string;
  gtin?: string;
  cnPrefix?: string;
  category: string;
  packaging?: string;
  storage?: { min: number; max: number };
  scheme?: string;
  serialAlphabet?: string;
  serialLength?: number;
  plannedVolume?: number;
  db?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const product = program.command('product').description('product varieties and their coding rules');

  const add = product
    .command('add')
    .description('register a product variety and its coding rule; prints its ID')
    .requiredOption('--name <name>', 'product name')
    .option('--gtin <gtin>', 'GTIN-8/12/13/14')
    .option('--cn-prefix <code>', 'CN product resource code: 7 digits starting with 8')
    .requiredOption('--category <category>', PRODUCT_CATEGORIES.join(' | '))
    .option('--packaging <level>', `${PACKAGING_LEVELS.join(' | ')} (default unit)`)
    .option('--storage <range>', 'allowed storage range in °C, e.g. 2..8', parseStorage)
    .option('--scheme <scheme>', `${CODING_SCHEMES.join(' | ')} (default gs1-sgtin with a GTIN, else cn-20)`)
    .option('--serial-alphabet <alphabet>', 'numeric | alnum-safe | the characters to draw from (default numeric)')
    .option('--serial-length <n>', 'serial length (GS1 1..20, default 12 or more; CN always 9)', parseWholeNumber('--serial-length'))
    .option('--planned-volume <n>', 'codes expected over the product life (default 1,000,000)', parseWholeNumber('--planned-volume'))
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .addHelpText('after', '\nWith --server: POST /v1/products (a manufacturer token for its own GS1 prefixes, or admin).');
  serverOptions(add).action(async (opts: AddOptions & ServerOptions) => {
    const out = output(opts);
    if (!opts.gtin && !opts.cnPrefix) {
      throw new CliExit(EXIT.usage, 'drugtrace product add: give --gtin or --cn-prefix (or both)', {
        ok: false,
        error: { code: 'CLI_MISSING_KEY', message: 'give --gtin or --cn-prefix' },
      });
    }
    const input = {
      name: opts.name,
      gtin: opts.gtin,
      cnResourceCode: opts.cnPrefix,
      category: opts.category as never,
      packagingLevel: opts.packaging as never,
      storageMinC: opts.storage?.min,
      storageMaxC: opts.storage?.max,
      rule: {
        scheme: opts.scheme as never,
        serialAlphabet: opts.serialAlphabet,
        serialLength: opts.serialLength,
        plannedVolume: opts.plannedVolume,
      },
    };
    const client = serverClient(opts, 'product add');
    let p: Product;
    if (client) {
      try {
        // JSON has no undefined: absent options are left out of the body.
        p = (await client.registerProduct(JSON.parse(JSON.stringify(input)))) as unknown as Product;
      } catch (err) {
        issuanceServerExit(err, 'product add');
      }
    } else {
      p = withStore(opts.db, (store) => {
        try {
          return registerProduct(store, input);
        } catch (err) {
          issuanceExit(err, 'product add');
        }
      });
    }
    out.result({ ok: true, product: productJson(p) }, () => describeProduct(p));
  });

  product
    .command('list')
    .description('list product varieties with their rules and guess probability')
    .option('--db <file|url>', DB_HELP)
    .option('--json', 'print one JSON document')
    .action((opts: { db?: string; json?: boolean }) => {
      const out = output(opts);
      const all = withStore(opts.db, (store) => listProducts(store));
      out.result({ products: all.map(productJson) }, () => (all.length ? all.map(describeProduct).join('\n') : 'no products registered'));
    });
}
