// The thread behind schemas/pg/sync-connection.ts: it owns the PostgreSQL clients and answers one
// request at a time while the calling thread waits on a shared flag. Plain JavaScript so that it
// loads the same way under tsx, vitest and plain node (a worker does not inherit TS loaders).
import { workerData } from 'node:worker_threads';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';

const { port, flag, heartbeatMs } = workerData;

// The calling thread blocks while it waits and cannot see this thread die: the counter going
// still tells it (schemas/pg/sync-connection.ts).
setInterval(() => Atomics.add(flag, 1, 1), heartbeatMs);

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// int8 and numeric (COUNT, SUM) come back as JS numbers, like SQLite integers; anything beyond
// 2^53 is refused rather than rounded.
function safeNumber(value) {
  const n = Number(value);
  if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) throw new RangeError(`value ${value} does not fit a JS number`);
  return n;
}
const types = {
  getTypeParser(oid, format) {
    if ((oid === INT8_OID || oid === NUMERIC_OID) && format !== 'binary') return safeNumber;
    return pg.types.getTypeParser(oid, format);
  },
};

const clients = new Map();
let nextId = 1;

// Each connection: its URL (to reconnect) and whether PostgreSQL or the network has ended it.
function client(id) {
  const entry = clients.get(id);
  if (!entry) throw Object.assign(new Error(`connection ${id} is closed`), { code: 'SQL_CLOSED' });
  if (entry.lost) {
    // 08003 connection_does_not_exist: nothing was sent, so the caller may reconnect and retry.
    throw Object.assign(new Error('the connection to PostgreSQL was lost before this statement was sent'), { code: '08003' });
  }
  return entry.client;
}

async function connect(url) {
  const entry = { url, lost: false, client: new pg.Client({ connectionString: url, types }) };
  // A dropped connection must not crash the thread; the next request reports it.
  entry.client.on('error', () => (entry.lost = true));
  entry.client.on('end', () => (entry.lost = true));
  await entry.client.connect();
  return entry;
}

const SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A connection that died mid-statement reaches node-postgres as a socket error or a message
 * without SQLSTATE (or as 57P01 when PostgreSQL said why): the connection is marked lost and a
 * non-SQLSTATE failure becomes 08006 connection_failure, its own code kept in the message.
 */
function lostInFlight(id, err) {
  const entry = clients.get(id);
  const code = err?.code;
  if (entry && (entry.lost || SOCKET_ERRORS.has(code) || /^(08|57P0)/.test(code ?? '') || /connection terminated|not queryable/i.test(err?.message ?? ''))) {
    entry.lost = true;
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) {
      err.message = `${err.message} (${code ?? 'connection lost'})`;
      err.code = '08006';
    }
  }
  return err;
}

/** Parameters arrive structured-cloned: Buffers as Uint8Array. */
function param(value) {
  if (value === undefined) return null;
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/**
 * The next msg.batch rows of cursor msg.cursor; `done` when they are the last, and then the cursor
 * is closed here. A failed FETCH closes it too where it may still exist (a held cursor, or a row
 * this thread could not read): a failed CLOSE is not reported over the FETCH's error.
 */
async function fetchBatch(msg) {
  const c = client(msg.id);
  let r;
  try {
    r = await c.query({ text: `FETCH FORWARD ${msg.batch} FROM ${msg.cursor}`, rowMode: msg.rowMode });
  } catch (err) {
    const lost = lostInFlight(msg.id, err);
    if (!clients.get(msg.id)?.lost) await c.query(`CLOSE ${msg.cursor}`).catch(() => {});
    throw lost;
  }
  const done = r.rows.length < msg.batch;
  if (done) {
    try {
      await c.query(`CLOSE ${msg.cursor}`);
    } catch (err) {
      throw lostInFlight(msg.id, err);
    }
  }
  return { rows: r.rows, done };
}

async function handle(msg) {
  switch (msg.op) {
    case 'open': {
      const id = nextId++;
      clients.set(id, await connect(msg.url));
      return { id };
    }
    case 'reopen': {
      const old = clients.get(msg.id);
      if (!old) throw Object.assign(new Error(`connection ${msg.id} is closed`), { code: 'SQL_CLOSED' });
      old.client.end().catch(() => {});
      clients.set(msg.id, await connect(old.url));
      return {};
    }
    case 'query': {
      try {
        const r = await client(msg.id).query({
          text: msg.text,
          values: msg.values.map(param),
          name: msg.name,
          rowMode: msg.rowMode,
        });
        return { rows: r.rows, rowCount: r.rowCount ?? 0 };
      } catch (err) {
        throw lostInFlight(msg.id, err);
      }
    }
    case 'declare': {
      // A server-side cursor over msg.text (schemas/pg/sync-connection.ts says which kind and why)
      // and its first batch: a short result costs this one request.
      const c = client(msg.id);
      try {
        await c.query({ text: `DECLARE ${msg.cursor} NO SCROLL CURSOR ${msg.hold ? 'WITH HOLD ' : ''}FOR ${msg.text}`, values: msg.values.map(param) });
      } catch (err) {
        throw lostInFlight(msg.id, err);
      }
      return fetchBatch(msg);
    }
    case 'fetch':
      return fetchBatch(msg);
    case 'closeCursor': {
      try {
        await client(msg.id).query(`CLOSE ${msg.cursor}`);
      } catch (err) {
        throw lostInFlight(msg.id, err);
      }
      return {};
    }
    case 'exec': {
      try {
        await client(msg.id).query(msg.text);
      } catch (err) {
        throw lostInFlight(msg.id, err);
      }
      return {};
    }
    case 'migrate': {
      const c = client(msg.id);
      // Several processes may open one database at once: one of them applies each migration.
      await c.query('SELECT pg_advisory_lock($1)', [msg.lock]);
      try {
        await migrate(drizzle(c), { migrationsFolder: msg.folder });
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [msg.lock]);
      }
      return {};
    }
    case 'close': {
      const entry = clients.get(msg.id);
      clients.delete(msg.id);
      if (entry) await entry.client.end().catch(() => {});
      return {};
    }
    default:
      throw new Error(`unknown request ${msg.op}`);
  }
}

function errorReply(err) {
  return {
    error: {
      message: err?.message ?? String(err),
      code: err?.code,
      detail: err?.detail,
      constraint: err?.constraint,
      table: err?.table,
      column: err?.column,
    },
  };
}

// The caller posts one request and blocks on flag[0] until the answer is posted back.
port.on('message', async (message) => {
  let reply;
  try {
    reply = { ok: await handle(message) };
  } catch (err) {
    reply = errorReply(err);
  }
  try {
    port.postMessage(reply);
  } catch (err) {
    // An answer that cannot be copied to the caller (too large, or a value structured clone
    // refuses) must still end the caller's wait.
    port.postMessage(errorReply(Object.assign(new Error(`the answer could not be passed back: ${err?.message ?? err}`), { code: 'SQL_WORKER' })));
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
