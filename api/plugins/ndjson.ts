/**
 * NDJSON answers for large results: one JSON value per line, `application/x-ndjson`, written as a
 * stream with backpressure (a slow reader holds the producer, memory stays at one chunk). Asked
 * for with `Accept: application/x-ndjson` (preferred over JSON by order and q-value).
 */
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const NDJSON = 'application/x-ndjson';

/** True when the Accept header prefers NDJSON to JSON. */
export function wantsNdjson(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (!accept) return false;
  let ndjson = -1;
  let json = -1;
  let order = 0;
  let ndOrder = 0;
  let jsonOrder = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    order++;
    if (type === NDJSON && q > ndjson) [ndjson, ndOrder] = [q, order];
    if ((type === 'application/json' || type === 'application/*' || type === '*/*') && q > json) [json, jsonOrder] = [q, order];
  }
  if (ndjson <= 0) return false;
  return ndjson > json || (ndjson === json && ndOrder < jsonOrder);
}

/**
 * Sends `chunks` (each already one or more NDJSON lines) as the answer. The iterable is pulled
 * only as fast as the socket drains; a synchronous generator that touches SQLite between yields
 * must not keep a statement open across a yield.
 */
export function sendNdjson(reply: FastifyReply, chunks: Iterable<string> | AsyncIterable<string>): FastifyReply {
  return reply.type(NDJSON).send(Readable.from(chunks, { objectMode: false, highWaterMark: 64 * 1024 }));
}

/** Lines of `values`, grouped so that one chunk carries up to `per` lines. */
export function* lines<T>(values: Iterable<T>, per = 500): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const v of values) {
    chunk += JSON.stringify(v) + '\n';
    if (++n >= per) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  if (chunk) yield chunk;
}
