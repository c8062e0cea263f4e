/**
 * A real listening API server (127.0.0.1, port 0) on a fresh demo supply chain, for the API
 * tests: a bearer token for every role (the demo's parties where they exist), the parties'
 * signing keys, and small EPCIS document builders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../../api/server.ts';
import { issueToken, type ApiRole } from '../../api/auth.ts';
import { DrugTraceClient } from '../../api/client.ts';
import { DEMO_PARTIES, runDemo, type DemoResult } from '../../trace/demo.ts';

export const CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
export const [MAH, NORTH, SOUTH, PHARMACY_1, PHARMACY_2, PHARMACY_3] = DEMO_PARTIES;

/** The party behind each role's token. */
export const ROLE_PARTY: Record<ApiRole, string> = {
  manufacturer: MAH.id,
  distributor: NORTH.id,
  dispenser: PHARMACY_3.id,
  regulator: 'nmpa',
  witness: 'witness-1',
  admin: 'operator',
};

export interface PartyKey {
  party: string;
  keyId: string;
  secretKey: Uint8Array;
}

export interface ApiServer {
  dir: string;
  dbFile: string;
  demo: DemoResult;
  app: FastifyInstance;
  base: string;
  tokens: Record<ApiRole, string>;
  keys: Map<string, PartyKey>;
  client(token?: string): DrugTraceClient;
  close(): Promise<void>;
}

export async function startServer(options: Omit<ServerOptions, 'dbFile'> = {}): Promise<ApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'drugtrace-api-'));
  const dbFile = join(dir, 'demo.db');
  const keys = new Map<string, PartyKey>();
  const demo = runDemo(dbFile, { onPartyKey: (k) => keys.set(k.party, k) });
  const app = await buildServer({ dbFile, rateLimit: false, ...options });
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  const tokens = {} as Record<ApiRole, string>;
  for (const [role, party] of Object.entries(ROLE_PARTY)) tokens[role as ApiRole] = issueToken(app.drugtrace.db, { party, role }).token;
  return {
    dir,
    dbFile,
    demo,
    app,
    base,
    tokens,
    keys,
    client: (token) => new DrugTraceClient({ baseUrl: base, token }),
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function epcisDocument(events: Record<string, unknown>[], created = '2026-03-21T10:00:00Z'): Record<string, unknown> {
  return { '@context': [CONTEXT], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: created, epcisBody: { eventList: events } };
}

/** An OBSERVE at `location` with a bizStep and disposition, naming `codes`. */
export function observe(codes: readonly string[], bizStep: string, disposition: string, location: string, eventTime = '2026-03-21T10:00:00.000+08:00'): Record<string, unknown> {
  return { type: 'ObjectEvent', eventTime, eventTimeZoneOffset: '+08:00', epcList: [...codes], action: 'OBSERVE', bizStep, disposition, readPoint: { id: location }, bizLocation: { id: location } };
}

/** The ledger's size and root: equal before and after means nothing was written. */
export function ledgerState(server: ApiServer): { size: number; root: string } {
  const ledger = server.app.drugtrace.ledger;
  return { size: ledger.size(), root: Buffer.from(ledger.root()).toString('hex') };
}
