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

/** 16 random bytes as hex: unique enough that two captures never share a key by chance. */
function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
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

  recallReport(q: RecallReportQuery): Promise<RecallReport> {
    return this.json('GET', `/v1/recalls/report${query({ lot: q.lot, gtin: q.gtin, at: q.at, maxTransitDays: q.maxTransitDays })}`);
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
}
