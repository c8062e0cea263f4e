/**
 * The consumer's question, public: is this pack genuine, and may I use it? Only the minimal
 * verdict (genuine, status, expiry, recall), never who holds it, where, or what it cost.
 *
 * GET /v1/verify/public/:code and the GS1 Digital Link resolver GET /01/:gtin/21/:serial answer
 * JSON, or a small HTML page when the Accept header prefers text/html (a phone scanning the pack).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyUnit, type VerifyResult } from '../../trace/queries/index.ts';
import { observePublicVerify, type SaleAnswer } from '../../trace/oversight/public-verify.ts';
import { ERROR_RESPONSES, type ApiContext } from '../context.ts';

export type PublicAnswer = 'genuine' | 'do_not_use' | 'unknown';

export interface PublicVerdict {
  code: string;
  answer: PublicAnswer;
  genuine: boolean;
  /** Stored status (`expired` once past its date), null when the ledger does not know the code. */
  status: string | null;
  expiry: string | null;
  recalled: boolean;
  message: string;
  /** With `?sale=REF`: whether the ledger records this pack as sold in that sale (docs/oversight.md). */
  sale?: SaleAnswer;
}

const PUBLIC_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'answer', 'genuine', 'status', 'expiry', 'recalled', 'message'],
  properties: {
    code: { type: 'string' },
    answer: { type: 'string', enum: ['genuine', 'do_not_use', 'unknown'] },
    genuine: { type: 'boolean' },
    status: { type: ['string', 'null'] },
    expiry: { type: ['string', 'null'] },
    recalled: { type: 'boolean' },
    message: { type: 'string' },
    sale: {
      type: 'object',
      additionalProperties: false,
      required: ['reference', 'outcome', 'sales', 'message'],
      properties: {
        reference: { type: 'string' },
        outcome: { type: 'string', enum: ['no_sale', 'sold_once_this_sale', 'sold_once_other_sale', 'sold_more_than_once'] },
        sales: { type: 'integer' },
        message: { type: 'string' },
      },
    },
  },
} as const;

/** What a patient may know: no custodian, location, lot or product owner. */
export function publicVerdict(result: VerifyResult): PublicVerdict {
  const base = { code: result.code, genuine: result.genuine, status: result.status, expiry: result.expiry, recalled: result.recalled };
  if (!result.genuine) {
    return { ...base, answer: 'unknown', message: 'This code is not known to the traceability ledger. Do not use the pack; show it to a pharmacist.' };
  }
  if (result.recalled) return { ...base, answer: 'do_not_use', message: 'This pack is genuine but its batch was recalled. Do not use it; return it to a pharmacy.' };
  if (result.status === 'expired') return { ...base, answer: 'do_not_use', message: `This pack is genuine but expired on ${result.expiry}. Do not use it.` };
  if (result.status === 'dispensed') return { ...base, answer: 'genuine', message: 'This pack is genuine and was dispensed by a pharmacy.' };
  const blocking = result.reasons.filter((r) => r.code !== 'in_transit' && r.code !== 'container');
  if (blocking.length > 0) return { ...base, answer: 'do_not_use', message: `This pack is genuine but recorded as ${result.status}. Do not use it; show it to a pharmacist.` };
  return { ...base, answer: 'genuine', message: 'This pack is genuine.' };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The page a patient's phone opens from the pack's QR code: the verdict in big words with a mark
 * and a colour (never colour alone), the message, and the four public facts. Self-contained (no
 * script, font or image from anywhere), readable on a small screen, landmarks for screen readers.
 */
export function publicPage(v: PublicVerdict): string {
  const tone = v.answer === 'genuine' ? { colour: '#1b7f3b', background: '#e7f5ec', mark: '✓' } : v.answer === 'do_not_use' ? { colour: '#b3261e', background: '#fdecea', mark: '✗' } : { colour: '#8a5a00', background: '#fff6e0', mark: '?' };
  const headline = v.answer === 'genuine' ? 'Genuine' : v.answer === 'do_not_use' ? 'Do not use' : 'Unknown pack';
  const rows: Array<[string, string]> = [
    ['Status', (v.status ?? 'unknown').replace(/_/g, ' ')],
    ['Expiry', v.expiry ?? '—'],
    ['Batch recalled', v.recalled ? 'YES' : 'no'],
    ['Code', v.code],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(headline)} · DrugTrace pack check</title>
<link rel="icon" href="data:,">
<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c1c1c;line-height:1.45;font-size:1.05rem}
main{max-width:32rem;margin:0 auto;padding:1rem}
.verdict{border:4px solid ${tone.colour};background:${tone.background};border-radius:12px;padding:1rem;text-align:center}
.mark{display:inline-block;width:3.2rem;height:3.2rem;line-height:3.2rem;border-radius:50%;background:${tone.colour};color:#fff;font-size:2rem;font-weight:800}
h1{color:${tone.colour};font-size:clamp(2rem,10vw,2.8rem);margin:.4rem 0;text-transform:uppercase;letter-spacing:.02em}
.message{font-size:1.2rem;font-weight:600;margin:.25rem 0 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:1.25rem 0}
dt{font-weight:600}dd{margin:0;word-break:break-all}
footer{color:#555;font-size:.9rem;max-width:32rem;margin:0 auto;padding:0 1rem 1.5rem}
</style>
</head><body>
<main>
<section class="verdict" aria-label="Verdict">
<div class="mark" aria-hidden="true">${tone.mark}</div>
<h1>${escapeHtml(headline)}</h1>
<p class="message">${escapeHtml(v.message)}</p>
${v.sale ? `<p class="message">${escapeHtml(v.sale.message)}</p>\n` : ''}</section>
<dl>${rows.map(([k, val]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(val)}</dd>`).join('')}</dl>
</main>
<footer><p>DrugTrace pack check. This page says only whether the pack is genuine and may be used; it does not show who supplied or sold it.</p></footer>
</body></html>
`;
}

/** True when the client prefers HTML to JSON (a browser), by the Accept header's order and q-values. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  let html = -1;
  let json = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? 1);
    if (type === 'text/html') html = Math.max(html, q);
    if (type === 'application/json') json = Math.max(json, q);
  }
  return html > 0 && html > json;
}

export function publicRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const answer = (code: string, request: FastifyRequest, reply: FastifyReply, saleReference?: string) => {
    const result = verifyUnit(ctx.ledger, code);
    // Unknown codes and sale references are told to the oversight detectors (a known code alone writes nothing).
    const sale = observePublicVerify(ctx.ledger, result, saleReference);
    const verdict = sale ? { ...publicVerdict(result), sale } : publicVerdict(result);
    reply.header('vary', 'Accept');
    if (prefersHtml(request.headers.accept)) return reply.type('text/html; charset=utf-8').send(publicPage(verdict));
    return reply.send(verdict);
  };
  const response = {
    200: { description: 'the public verdict (JSON, or an HTML page when Accept prefers text/html)', ...PUBLIC_SCHEMA },
    ...ERROR_RESPONSES,
  };

  app.get<{ Params: { code: string }; Querystring: { sale?: string } }>(
    '/v1/verify/public/:code',
    {
      schema: {
        tags: ['public'],
        summary: "a consumer's check of a pack: genuine, status, expiry, recall; no commercial data. Public.",
        params: { type: 'object', required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 512 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { sale: { type: 'string', minLength: 1, maxLength: 256, description: "the sale's reference (receipt number, or the dispensing event's bizTransaction URI): answers whether the pack was sold in that sale" } },
        },
        response,
      },
    },
    async (request, reply) => answer(request.params.code, request, reply, request.query.sale),
  );

  app.get<{ Params: { gtin: string; serial: string } }>(
    '/01/:gtin/21/:serial',
    {
      schema: {
        tags: ['public'],
        summary: 'GS1 Digital Link resolver for a serialised pack (/01/{gtin}/21/{serial}). Public.',
        params: {
          type: 'object',
          required: ['gtin', 'serial'],
          properties: { gtin: { type: 'string', pattern: '^[0-9]{8,14}$' }, serial: { type: 'string', minLength: 1, maxLength: 20 } },
        },
        response,
      },
    },
    // The path parameters arrive decoded; the Digital Link parser checks the GTIN digit and the serial's characters.
    async (request, reply) => answer(`https://id.gs1.org/01/${request.params.gtin}/21/${encodeURIComponent(request.params.serial)}`, request, reply),
  );
}
