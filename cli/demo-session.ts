/**
 * `drugtrace serve --demo` (what `npm start` runs): the demo supply chain behind the HTTP API.
 * The chain is built on the first run only and its guide (DemoResult) is kept next to the
 * database, so a second start reuses both and starts at once. Every start issues fresh demo
 * tokens (admin, a regulator, one per demo party) and revokes the previous start's: only token
 * hashes are stored, so a token can be printed only when it is issued.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlConnection } from '../schemas/connection.ts';
import { issueToken, revokeToken, type ApiRole } from '../api/auth.ts';
import { Ledger } from '../ledger/ledger.ts';
import { DEMO_ORIGIN, runDemo, type DemoResult } from '../trace/demo.ts';
import { CliExit, EXIT, holdsLedger, printableLocation, sidecarBase } from './common.ts';
import { defaultPartyKeyFile, writePartyKeyFile } from './commands/party.ts';

export const DEFAULT_DEMO_DB = './data/demo.db';

/** Label of the tokens a demo start issues; the next start revokes them. */
export const DEMO_TOKEN_LABEL = 'demo session (drugtrace serve --demo)';

/** Where the demo's guide (codes and lot to look at) is kept: `<db>.demo.json` (cli/common.ts sidecarBase for a URL). */
export function demoGuideFile(dbFile: string): string {
  return `${sidecarBase(dbFile)}.demo.json`;
}

export function writeDemoGuide(result: DemoResult): void {
  mkdirSync(dirname(demoGuideFile(result.dbFile)), { recursive: true });
  // The location is kept only to be shown: without a URL's password.
  writeFileSync(demoGuideFile(result.dbFile), JSON.stringify({ ...result, dbFile: printableLocation(result.dbFile) }, null, 1) + '\n');
}

function notDemo(location: string, origin: string | undefined): never {
  const file = printableLocation(location);
  throw new CliExit(EXIT.usage, `drugtrace serve --demo: ${file} is not a demo ledger (origin ${origin ?? 'unreadable'}); pass --db with a new file, or serve it without --demo`, {
    ok: false,
    error: { code: 'CLI_NOT_A_DEMO_LEDGER', message: `${file} is not a demo ledger`, details: { file, origin: origin ?? null } },
  });
}

/**
 * The demo chain in `file`: built now when the file does not exist (built: true), else the one
 * built before (its guide read back). A file holding another ledger is refused.
 */
export function prepareDemo(file: string, info: (line: string) => void): { built: boolean; demo: DemoResult } {
  if (!holdsLedger(file)) {
    info(`building the demo supply chain in ${printableLocation(file)} (first run; later starts reuse it)…`);
    const demo = runDemo(file, { onPartyKey: (key) => writePartyKeyFile(defaultPartyKeyFile(file, key.party), key) });
    writeDemoGuide(demo);
    return { built: true, demo: { ...demo, dbFile: printableLocation(file) } };
  }
  let origin: string | undefined;
  try {
    const ledger = Ledger.open(file);
    origin = ledger.origin;
    ledger.close();
  } catch {
    origin = undefined;
  }
  if (origin !== DEMO_ORIGIN) notDemo(file, origin);
  let demo: DemoResult;
  try {
    demo = JSON.parse(readFileSync(demoGuideFile(file), 'utf8')) as DemoResult;
  } catch {
    const shown = printableLocation(file);
    throw new CliExit(EXIT.usage, `drugtrace serve --demo: ${shown} is a demo ledger without its guide ${demoGuideFile(file)}; rebuild it with drugtrace demo --db ${shown} --replace`, {
      ok: false,
      error: { code: 'CLI_DEMO_GUIDE_MISSING', message: `${demoGuideFile(file)} is missing`, details: { file: shown } },
    });
  }
  return { built: false, demo };
}

export interface DemoToken {
  party: string;
  role: ApiRole;
  token: string;
  /** The demo party's display name, or what the token is for. */
  name: string;
}

const PARTY_ROLES: Record<DemoResult['parties'][number]['role'], ApiRole> = {
  manufacturer: 'manufacturer',
  distributor: 'distributor',
  pharmacy: 'dispenser',
};

/** The party a demo regulator token stands for (the demo chain registers no regulator party). */
export const DEMO_REGULATOR = 'regulator';

/** Revokes the previous demo start's tokens and issues this start's: admin, regulator, one per party. */
export function issueDemoTokens(db: SqlConnection, demo: DemoResult): DemoToken[] {
  const previous = db.prepare('SELECT id FROM api_tokens WHERE label = ? AND revoked_at IS NULL').pluck().all(DEMO_TOKEN_LABEL) as string[];
  for (const id of previous) revokeToken(db, id);
  const wanted: Array<Omit<DemoToken, 'token'>> = [
    { party: 'operator', role: 'admin', name: 'the operator: issues party tokens' },
    { party: DEMO_REGULATOR, role: 'regulator', name: 'a regulator: sees every unit and every recall report' },
    ...demo.parties.map((p) => ({ party: p.id, role: PARTY_ROLES[p.role], name: p.name })),
  ];
  return wanted.map((w) => ({ ...w, token: issueToken(db, { party: w.party, role: w.role, label: DEMO_TOKEN_LABEL }).token }));
}

/** The URL path of a Digital Link code on this server (the GS1 resolver route). */
export function resolverPath(digitalLink: string): string {
  return new URL(digitalLink).pathname;
}

export interface DemoLinks {
  db: string;
  built: boolean;
  /** Public, no token: the consumer verdict of a unit that is ok to dispense (JSON with this Accept). */
  verify: string;
  /** The dispenser's verdict of the same unit (needs a token). */
  dispenserVerify: string;
  /** The consumer page (HTML in a browser) of a dispensed unit. */
  consumerPage: string;
  /** The recall report of the demo's recalled lot (regulator or the product's manufacturer). */
  recallReport: string;
  /** The recall report web page of that lot (paste a regulator token into it). */
  recallPage: string;
  /** The web pages' index (scan, recall report, offline proof check). */
  web: string;
  recallLot: { gtin: string; lot: string };
  /** A unit with a long history. */
  history: string;
  tokens: DemoToken[];
}

export function demoLinks(url: string, built: boolean, demo: DemoResult, tokens: DemoToken[]): DemoLinks {
  const { lookAt } = demo;
  const q = new URLSearchParams({ gtin: lookAt.recallLot.gtin, lot: lookAt.recallLot.lot });
  return {
    db: demo.dbFile,
    built,
    verify: `${url}${resolverPath(lookAt.okToDispense)}`,
    dispenserVerify: `${url}/v1/units/${encodeURIComponent(lookAt.okToDispense)}/verify`,
    consumerPage: `${url}${resolverPath(lookAt.dispensed)}`,
    recallReport: `${url}/v1/recalls/report?${q}`,
    recallPage: `${url}/web/recall?${q}`,
    web: `${url}/web/`,
    recallLot: lookAt.recallLot,
    history: `${url}/v1/units/${encodeURIComponent(lookAt.history)}/history`,
    tokens,
  };
}

/** What `npm start` prints after the listening line: where to look, with commands that work. */
export function demoGuideText(url: string, links: DemoLinks, demo: DemoResult): string {
  const token = (role: ApiRole, party?: string) => links.tokens.find((t) => t.role === role && (party === undefined || t.party === party))!.token;
  const regulator = token('regulator');
  const dispenser = links.tokens.find((t) => t.role === 'dispenser')!;
  const admin = token('admin');
  const { lookAt } = demo;
  return [
    `Demo supply chain: ${links.db} (${links.built ? 'built now' : 'reused; delete it to build afresh'}), ${demo.ledgerSize} ledger entries`,
    '',
    'Verify a unit (public, no token):',
    `  curl -H 'Accept: application/json' ${links.verify}`,
    `The consumer page of a dispensed unit (open it in a browser):`,
    `  ${links.consumerPage}`,
    `The dispenser's verdict (as ${dispenser.party}):`,
    `  curl -H 'Authorization: Bearer ${dispenser.token}' ${links.dispenserVerify}`,
    `The recall report of lot ${lookAt.recallLot.lot} (as the regulator):`,
    `  curl -H 'Authorization: Bearer ${regulator}' '${links.recallReport}'`,
    `  or in a browser (paste the regulator token): ${links.recallPage}`,
    `A unit's whole history (as the regulator):`,
    `  curl -H 'Authorization: Bearer ${regulator}' ${links.history}`,
    `Web pages (scan a pack, recall report, check a proof bundle offline): ${links.web}`,
    '',
    `The CLI against this server (any command with --server/--token; here as the regulator):`,
    `  export DRUGTRACE_SERVER=${url} DRUGTRACE_TOKEN=${regulator}`,
    `  npx drugtrace recall report --gtin ${lookAt.recallLot.gtin} --lot ${lookAt.recallLot.lot}`,
    `  npx drugtrace verify ${lookAt.recalled}`,
    '',
    'Tokens for this run (DEMO ONLY: issued at start, revoked at the next start; only their hashes are stored):',
    ...links.tokens.map((t) => `  ${t.role.padEnd(12)} ${t.party.padEnd(11)} ${t.token}  ${t.name}`),
    'More party tokens (admin):',
    `  curl -X POST -H 'Authorization: Bearer ${admin}' -H 'Content-Type: application/json' -d '{"party":"pharmacy-9","role":"dispenser"}' ${url}/v1/tokens`,
    '',
    'Ctrl-C stops the server (requests in flight finish first).',
  ].join('\n');
}
