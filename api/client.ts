/**
 * A typed client for the HTTP API (docs/api.md), over the global fetch. Every non-2xx answer
 * becomes an ApiClientError carrying the server's stable code, message, details and status; a
 * request that never got an answer is CLIENT_NETWORK. No retries: capture sends an
 * Idempotency-Key (generated when not given) so that a caller may retry it safely.
 */
import type { CaptureReceipt, CaptureSubmission } from '../trace/capture.ts';
import { signSubmission } from './sign.ts';
import type { RecallReport, UnitHistory, VerifyResult } from '../trace/queries/index.ts';
import type { PublicVerdict } from './routes/public.ts';
import type { Signer } from '../ledger/entry.ts';
import type { ProofBundle } from '../ledger/bundle.ts';
import type { EpcisQueryParams } from '../trace/queries/epcis-query.ts';
import type { CodeRecord, ProductInput } from '../codes/issuance/index.ts';
import type { PartyInput } from '../trace/parties.ts';
import type { CampaignSubmission, CampaignSummary, StartedCampaign } from '../trace/oversight/campaigns.ts';
import type { CampaignProgress } from '../trace/oversight/campaign-progress.ts';
import type { Alert, AlertStatus, ReviewDecision } from '../trace/oversight/alerts.ts';
import type { listFilings } from '../trace/oversight/filing.ts';

export interface ClientOptions {
  /** The server, e.g. http://127.0.0.1:3000 (a trailing slash is ignored). */
  baseUrl: string;
  /** A party's bearer token (POST /v1/tokens); public routes work without one. */
  token?: string;
  /** Defaults to the global fetch; tests and other runtimes may pass their own. */
  fetch?: typeof fetch;
}

export type ClientErrorCode = string;

export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    /** The server's stable code (docs/api.md), or CLIENT_NETWORK / CLIENT_BAD_RESPONSE / CLIENT_BAD_URL / CLIENT_BAD_REQUEST. */
    readonly code: ClientErrorCode,
    message: string,
    /** HTTP status; 0 when no answer came. */
    readonly status: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface Health {
  ok: boolean;
  ledgerSize: number;
  origin: string;
}

export interface CaptureResult extends CaptureReceipt {
  /** The key the request was sent with: reuse it to retry the same capture. */
  idempotencyKey: string;
  /** True when the server answered from its idempotency store (a retry): nothing was written. */
  replayed: boolean;
}

export interface InclusionProofAnswer {
  position: number;
  size: number;
  leafHash: string;
  proof: string[];
  root: string;
}

export interface ConsistencyProofAnswer {
  oldSize: number;
  newSize: number;
  oldRoot: string;
  newRoot: string;
  proof: string[];
}

export interface RecallReportQuery {
  lot: string;
  gtin?: string;
  at?: string;
  maxTransitDays?: number;
}

export interface PartyKeyInfo {
  keyId: string;
  publicKey: string;
  status: 'active' | 'rotated' | 'revoked';
  registeredAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

export interface PartyInfo {
  party: string;
  role: string;
  name: string;
  locations: string[];
  prefixes: string[];
  cnPrefixes: string[];
  keys: PartyKeyInfo[];
}

export interface EntryReceiptAnswer {
  position: number;
  leafHash: string;
  entryHash: string;
  keyId?: string;
}

export interface ProductAnswer {
  id: number;
  name: string;
  gtin: string | null;
  cnResourceCode: string | null;
  category: string;
  packagingLevel: string;
  rule: { id: number; scheme: string; serialAlphabetName: string; serialLength: number; plannedVolume: number; checkScheme: string | null; issuedCount: number };
  guess: { serialSpace: string; capacity: string; plannedVolume: number; issued: number; guessProbability: number; plannedGuessProbability: number };
}

export interface IssuedCodesAnswer {
  productId: number;
  count: number;
  issuedTotal: number;
  guessProbability: number;
  codes: CodeRecord[];
}

export interface EpcisQueryDocument {
  '@context': unknown[];
  type: 'EPCISQueryDocument';
  schemaVersion: string;
  creationDate: string;
  epcisBody: { queryResults: { queryName: string; resultsBody: { eventList: Record<string, unknown>[] } } };
}

/** One line of GET /v1/events as NDJSON. */
export interface EventLine {
  position: number;
  item: number;
  hashId: string;
  eventType: string;
  eventTime: string;
  bizStep: string | null;
  disposition: string | null;
  party: string;
  erroneous: boolean;
  event: Record<string, unknown>;
}

/** One line of GET /v1/ledger/entries: the stored entry bytes, its leaf hash and its items, base64. */
export interface LedgerEntryLine {
  index: number;
  entry: string;
  leafHash: string;
  items: string[];
}

export interface TokenInfoAnswer {
  tokenId: string;
  party: string;
  role: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** 16 random bytes as hex: unique enough that two captures never share a key by chance. */
function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function query(params: Record<string, string | number | boolean | readonly string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) search.append(k, one);
    else search.set(k, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export class DrugTraceClient {
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ApiClientError('CLIENT_BAD_URL', `${JSON.stringify(options.baseUrl)} is not a URL`, 0, { baseUrl: options.baseUrl });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ApiClientError('CLIENT_BAD_URL', `the server URL must be http or https, not ${url.protocol}`, 0, { baseUrl: options.baseUrl });
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  private async request(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; accept?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, { method, headers, body });
    } catch (err) {
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new ApiClientError('CLIENT_NETWORK', `cannot reach ${this.baseUrl}: ${cause}`, 0, { url: `${this.baseUrl}${path}` });
    }
    if (!res.ok) throw await this.errorFrom(res);
    return res;
  }

  private async errorFrom(res: Response): Promise<ApiClientError> {
    const text = await res.text().catch(() => '');
    try {
      const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
      const e = parsed.error;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') {
        return new ApiClientError(e.code, e.message, res.status, e.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : undefined);
      }
    } catch {
      // Not the API's error shape (a proxy's page, say): described below.
    }
    return new ApiClientError('CLIENT_BAD_RESPONSE', `HTTP ${res.status} without the API error shape`, res.status, { body: text.slice(0, 200) });
  }

  /** The lines of an NDJSON answer, parsed one by one as they arrive. */
  private async *ndjson<T>(method: string, path: string, body?: unknown): AsyncGenerator<T> {
    const res = await this.request(method, path, { body, accept: 'application/x-ndjson' });
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const parse = (line: string): T => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new ApiClientError('CLIENT_BAD_RESPONSE', `HTTP ${res.status}: an NDJSON line is not JSON`, res.status, { line: line.slice(0, 200) });
      }
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim() !== '') yield parse(line);
        }
      }
      buffer += decoder.decode();
      if (buffer.trim() !== '') yield parse(buffer);
    } finally {
      // A caller that stops early releases the connection.
      await reader.cancel().catch(() => undefined);
    }
  }

  private async json<T>(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<T> {
    const res = await this.request(method, path, options);
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiClientError('CLIENT_BAD_RESPONSE', `HTTP ${res.status} answer is not JSON`, res.status);
    }
  }

  health(): Promise<Health> {
    return this.json('GET', '/health');
  }

  /** Sends a signed submission (see signAndCapture). Retrying with the same idempotencyKey returns the first receipt. */
  async capture(submission: CaptureSubmission, options: { idempotencyKey?: string } = {}): Promise<CaptureResult> {
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    // The server takes the document as a JSON object; a submission signed over its text is the same capture.
    let body = submission;
    if (typeof submission.document === 'string') {
      try {
        body = { ...submission, document: JSON.parse(submission.document) };
      } catch {
        throw new ApiClientError('CLIENT_BAD_REQUEST', 'the submission\'s document is text that is not JSON', 0);
      }
    }
    const res = await this.request('POST', '/v1/capture', { body, headers: { 'idempotency-key': idempotencyKey } });
    const receipt = (await res.json()) as CaptureReceipt;
    return { ...receipt, idempotencyKey, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /** Signs the EPCIS document locally with the party's key (api/sign.ts, no node: modules) and captures it. */
  signAndCapture(document: unknown, key: Signer & { secretKey: Uint8Array }, options: { idempotencyKey?: string; claimedTime?: string } = {}): Promise<CaptureResult> {
    return this.capture(signSubmission(document, key, options.claimedTime), options);
  }

  unitHistory(code: string): Promise<UnitHistory> {
    return this.json('GET', `/v1/units/${encodeURIComponent(code)}/history`);
  }

  verifyUnit(code: string, at?: string): Promise<VerifyResult> {
    return this.json('GET', `/v1/units/${encodeURIComponent(code)}/verify${query({ at })}`);
  }

  publicVerdict(code: string): Promise<PublicVerdict> {
    return this.json('GET', `/v1/verify/public/${encodeURIComponent(code)}`);
  }

  /** Starts a recall campaign (POST /v1/recalls): a submission signed with trace/oversight/campaigns.ts signCampaign. */
  startRecall(submission: CampaignSubmission): Promise<StartedCampaign & { campaign: CampaignSummary }> {
    return this.json('POST', '/v1/recalls', { body: submission });
  }

  /** Recall campaigns, newest first: a manufacturer sees those it started and those about its own products. */
  recalls(): Promise<{ campaigns: CampaignSummary[] }> {
    return this.json('GET', '/v1/recalls');
  }

  /** One campaign's progress; `units: true` adds one row per unit. */
  recallCampaign(id: number, q: { at?: string; maxTransitDays?: number; units?: boolean } = {}): Promise<Omit<CampaignProgress, 'units'> & Partial<Pick<CampaignProgress, 'units'>>> {
    return this.json('GET', `/v1/recalls/${id}${query(q)}`);
  }

  recallReport(q: RecallReportQuery): Promise<RecallReport> {
    return this.json('GET', `/v1/recalls/report${query({ lot: q.lot, gtin: q.gtin, at: q.at, maxTransitDays: q.maxTransitDays })}`);
  }

  // ---- oversight ----

  /** The review queue, newest first: a regulator sees every alert, any other party the alerts about itself. */
  alerts(q: { status?: AlertStatus; detector?: string; party?: string; before?: number; limit?: number } = {}): Promise<{ alerts: Alert[] }> {
    return this.json('GET', `/v1/alerts${query(q)}`);
  }

  alert(id: number): Promise<Alert> {
    return this.json('GET', `/v1/alerts/${id}`);
  }

  /** A regulator's decision, signed with trace/oversight/alerts.ts signReview; the server appends it to the ledger. */
  reviewAlert(
    id: number,
    review: { decision: ReviewDecision; reason: string; reviewer: string; signer: Signer; claimedTime: string; signature: string },
  ): Promise<Alert> {
    return this.json('POST', `/v1/alerts/${id}/review`, { body: review });
  }

  /** The detectors of the server's build and their filings. */
  detectors(): Promise<ReturnType<typeof listFilings>> {
    return this.json('GET', '/v1/detectors');
  }

  /** The C2SP signed note (text). */
  async checkpoint(): Promise<string> {
    return (await this.request('GET', '/v1/checkpoint', { accept: 'text/plain' })).text();
  }

  inclusionProof(position: number, size?: number): Promise<InclusionProofAnswer> {
    return this.json('GET', `/v1/proofs/inclusion${query({ position, size })}`);
  }

  consistencyProof(from: number, to?: number): Promise<ConsistencyProofAnswer> {
    return this.json('GET', `/v1/proofs/consistency${query({ from, to })}`);
  }

  // ---- parties and keys ----

  parties(): Promise<{ parties: PartyInfo[] }> {
    return this.json('GET', '/v1/parties');
  }

  party(id: string): Promise<PartyInfo> {
    return this.json('GET', `/v1/parties/${encodeURIComponent(id)}`);
  }

  /** Registers a trace party (admin or regulator), with its first public key (base64) when given. */
  registerParty(input: PartyInput & { publicKey?: string }): Promise<{ position: number; party: PartyInfo; keyId?: string }> {
    return this.json('POST', '/v1/parties', { body: input });
  }

  registerKey(party: string, publicKey: string): Promise<EntryReceiptAnswer> {
    return this.json('POST', `/v1/parties/${encodeURIComponent(party)}/keys`, { body: { publicKey } });
  }

  /** Replaces a party's key by `publicKey` (base64) in one entry; the old key signs nothing after it. */
  rotateKey(party: string, keyId: string, publicKey: string): Promise<EntryReceiptAnswer> {
    return this.json('POST', `/v1/parties/${encodeURIComponent(party)}/keys/${encodeURIComponent(keyId)}/rotate`, { body: { publicKey } });
  }

  revokeKey(party: string, keyId: string, reason?: string): Promise<EntryReceiptAnswer> {
    return this.json('POST', `/v1/parties/${encodeURIComponent(party)}/keys/${encodeURIComponent(keyId)}/revoke`, { body: reason === undefined ? {} : { reason } });
  }

  // ---- products and code issuance ----

  products(): Promise<{ products: ProductAnswer[] }> {
    return this.json('GET', '/v1/products');
  }

  product(id: number): Promise<ProductAnswer> {
    return this.json('GET', `/v1/products/${id}`);
  }

  registerProduct(input: ProductInput): Promise<ProductAnswer> {
    return this.json('POST', '/v1/products', { body: input });
  }

  /** Issues up to 10,000 codes in one JSON answer; use issueCodesStream for more. */
  issueCodes(productId: number, count: number): Promise<IssuedCodesAnswer> {
    return this.json('POST', `/v1/products/${productId}/codes`, { body: { count } });
  }

  /** Issues `count` codes streamed as NDJSON: one record per code, as the server commits them. */
  issueCodesStream(productId: number, count: number): AsyncGenerator<CodeRecord> {
    return this.ndjson('POST', `/v1/products/${productId}/codes`, { count });
  }

  // ---- EPCIS query ----

  events(params: EpcisQueryParams = {}): Promise<EpcisQueryDocument> {
    return this.json('GET', `/v1/events${query(params as Record<string, string | number | boolean | readonly string[] | undefined>)}`);
  }

  eventsStream(params: EpcisQueryParams = {}): AsyncGenerator<EventLine> {
    return this.ndjson('GET', `/v1/events${query(params as Record<string, string | number | boolean | readonly string[] | undefined>)}`);
  }

  // ---- dispense ----

  private async captureAt(path: string, submission: CaptureSubmission, options: { idempotencyKey?: string }): Promise<CaptureResult> {
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    const body = typeof submission.document === 'string' ? { ...submission, document: JSON.parse(submission.document) as unknown } : submission;
    const res = await this.request('POST', path, { body, headers: { 'idempotency-key': idempotencyKey } });
    const receipt = (await res.json()) as CaptureReceipt;
    return { ...receipt, idempotencyKey, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /** Records a dispense: a signed submission holding exactly one dispensing event naming `code` alone. */
  dispense(code: string, submission: CaptureSubmission, options: { idempotencyKey?: string } = {}): Promise<CaptureResult> {
    return this.captureAt(`/v1/units/${encodeURIComponent(code)}/dispense`, submission, options);
  }

  /** Undoes a dispense (the pharmacy that dispensed, at the same place): one event, bizStep dispensing, disposition active. */
  undoDispense(code: string, submission: CaptureSubmission, options: { idempotencyKey?: string } = {}): Promise<CaptureResult> {
    return this.captureAt(`/v1/units/${encodeURIComponent(code)}/undo-dispense`, submission, options);
  }

  // ---- proofs, ledger entries, witnesses ----

  /** The unit's offline proof bundle (verify with ledger/bundle.ts verifyBundle, no server). */
  proofBundle(code: string): Promise<ProofBundle> {
    return this.json('GET', `/v1/units/${encodeURIComponent(code)}/proof-bundle`);
  }

  /** Ledger entries [from, to) as they stream (regulator). */
  ledgerEntries(range: { from?: number; to?: number } = {}): AsyncGenerator<LedgerEntryLine> {
    return this.ndjson('GET', `/v1/ledger/entries${query(range)}`);
  }

  /** The tlog-witness add-checkpoint body from `oldSize` (witness). */
  async witnessCheckpoint(oldSize: number): Promise<string> {
    return (await this.request('GET', `/v1/witness/checkpoint${query({ oldSize })}`, { accept: 'text/plain' })).text();
  }

  addCosignature(input: { size: number; vkey: string; line: string }): Promise<{ size: number; cosignatures: number; note: string }> {
    return this.json('POST', '/v1/witness/cosignatures', { body: input });
  }

  // ---- tokens and service ----

  issueToken(input: { party: string; role: string; label?: string }): Promise<TokenInfoAnswer & { token: string }> {
    return this.json('POST', '/v1/tokens', { body: input });
  }

  tokens(): Promise<{ tokens: TokenInfoAnswer[] }> {
    return this.json('GET', '/v1/tokens');
  }

  revokeToken(tokenId: string): Promise<TokenInfoAnswer> {
    return this.json('POST', `/v1/tokens/${encodeURIComponent(tokenId)}/revoke`);
  }

  /** Prometheus text. */
  async metrics(): Promise<string> {
    return (await this.request('GET', '/metrics', { accept: 'text/plain' })).text();
  }
}
