/**
 * Shared by the pages: the party token (pasted once, kept in sessionStorage for the tab's life),
 * calls to the API with the server's one error shape, and small DOM helpers. Browser code: no
 * node: imports; only types come from api/ and trace/.
 */

const TOKEN_KEY = 'drugtrace.token';

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A refusal from the server: its stable code, message and status (0: no answer at all). */
export class WebApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  constructor(code: string, message: string, status: number, details?: unknown) {
    super(message);
    this.name = 'WebApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** GET a JSON route of this server, with the saved token when there is one. */
export async function getJson<T>(path: string, options: { auth?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = options.auth === false ? null : getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { headers });
  } catch (err) {
    throw new WebApiError('CLIENT_NETWORK', `no answer from the server: ${err instanceof Error ? err.message : String(err)}`, 0);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new WebApiError('CLIENT_BAD_RESPONSE', `the server answered ${response.status} without JSON`, response.status);
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: unknown } }).error;
    throw new WebApiError(error?.code ?? 'CLIENT_BAD_RESPONSE', error?.message ?? `HTTP ${response.status}`, response.status, error?.details);
  }
  return body as T;
}

/** document.getElementById that fails loudly when the page lacks the element. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
}

type Child = Node | string | null | undefined | false;

/** A small element builder: text is always set as text (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Replaces an element's content. */
export function show(target: HTMLElement, ...children: Child[]): void {
  target.replaceChildren();
  for (const c of children) if (c !== null && c !== undefined && c !== false) target.append(c);
}

/** An error box naming the stable code, announced to screen readers. */
export function errorBox(err: unknown): HTMLElement {
  const code = err instanceof WebApiError ? err.code : (err as { code?: string })?.code;
  const message = err instanceof Error ? err.message : String(err);
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, code ? `${code}: ` : 'Error: '), message);
}

/**
 * Wires the token form of a page: paste once, kept for this tab (sessionStorage); a "forget"
 * button clears it. Calls onChange after either.
 */
export function setupTokenForm(onChange: () => void = () => {}): void {
  const form = document.getElementById('token-form') as HTMLFormElement | null;
  if (!form) return;
  const input = byId<HTMLInputElement>('token-input');
  const state = byId('token-state');
  const forget = byId<HTMLButtonElement>('token-forget');
  const render = () => {
    const token = getToken();
    state.textContent = token ? `A token is set for this tab (…${token.slice(-4)}).` : 'No token set: only the public verdict is shown.';
    forget.hidden = !token;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    setToken(value);
    input.value = '';
    render();
    onChange();
  });
  forget.addEventListener('click', () => {
    setToken(null);
    render();
    onChange();
  });
  render();
}

/** ISO time → "2026-03-04 01:00 UTC" (the ledger's times are UTC). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** Bare CBV words and codes for people: "in_transit" → "in transit", "missing-separator" → "missing separator". */
export function words(value: string | null | undefined): string {
  return value ? value.replace(/[_-]/g, ' ') : '—';
}
