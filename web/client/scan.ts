/**
 * The scan page: a code from the camera, an uploaded photo (zxing-wasm, decoded in the browser)
 * or a handheld scanner typing into a field (keystroke repair, corrections shown), then the
 * verdict at a glance and the unit's history as a timeline.
 */
import { configureWasm, readKeystrokes, scanImage, type Correction, type ScannedSymbol } from '../../scanner/index.ts';
import { canonicalIdentifier } from '../../codes/identifier.ts';
import type { UnitHistory, VerifyResult } from '../../trace/queries/index.ts';
import type { PublicVerdict } from '../../api/routes/public.ts';
import { byId, errorBox, formatTime, getJson, getToken, h, setupTokenForm, show, WebApiError, words } from './common.ts';

// The reader binary comes from this server (web/plugin.ts), never from a CDN.
configureWasm(new URL('/web/assets/zxing_reader.wasm', location.href).href);

const sourceBox = byId('scan-source');
const verdictBox = byId('verdict');
const historyBox = byId('history');

let lastCode: string | null = null;

/** What the scanned code is, where it came from, and any repairs made to read it. */
function showSource(lines: Array<Node | string>, corrections: Correction[] = []): void {
  show(
    sourceBox,
    ...lines.map((l) => h('p', {}, l)),
    corrections.length > 0 &&
      h(
        'div',
        { class: 'corrections', role: 'status' },
        h('p', {}, h('strong', {}, `Read after ${corrections.length} correction${corrections.length === 1 ? '' : 's'}:`)),
        h('ul', {}, ...corrections.map((c) => h('li', {}, h('span', { class: 'correction-kind' }, words(c.kind)), ' — ', c.detail))),
      ),
  );
}

type Tone = 'ok' | 'stop' | 'unknown';

const TONE_MARK: Record<Tone, string> = { ok: '✓', stop: '✗', unknown: '?' };

function verdictBlock(tone: Tone, headline: string, facts: Array<[string, string, boolean?]>, notes: string[]): HTMLElement {
  return h(
    'div',
    { class: `verdict verdict-${tone}`, 'data-verdict': tone },
    h('p', { class: 'verdict-word' }, h('span', { class: 'verdict-mark', 'aria-hidden': 'true' }, TONE_MARK[tone]), ' ', headline),
    notes.length > 0 && h('ul', { class: 'reasons' }, ...notes.map((n) => h('li', {}, n))),
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v, alarm]) => [h('dt', {}, k), h('dd', alarm ? { class: 'alarm' } : {}, v)])),
  );
}

function fullVerdict(v: VerifyResult): HTMLElement {
  const tone: Tone = v.verdict === 'ok_to_dispense' ? 'ok' : v.verdict === 'do_not_dispense' ? 'stop' : 'unknown';
  const headline = v.verdict === 'ok_to_dispense' ? 'OK to dispense' : v.verdict === 'do_not_dispense' ? 'Do not dispense' : 'Unknown code';
  return verdictBlock(
    tone,
    headline,
    [
      ['Genuine', v.genuine ? 'yes' : 'no — not commissioned in the ledger', !v.genuine],
      ['Status', words(v.status)],
      ['Expiry', v.expiry ?? '—', v.status === 'expired'],
      ['Recalled', v.recalled ? 'YES — lot recalled' : 'no', v.recalled],
      ['Product', v.product ?? '—'],
      ['Lot', v.lot ?? '—'],
      ['Held by', v.custodian ?? '—'],
      ...(v.dispensed ? [['Dispensed', `${v.dispensed.party}, ${formatTime(v.dispensed.at)}`] as [string, string]] : []),
    ],
    v.reasons.map((r) => r.message),
  );
}

function publicVerdictBlock(v: PublicVerdict): HTMLElement {
  const tone: Tone = v.answer === 'genuine' ? 'ok' : v.answer === 'do_not_use' ? 'stop' : 'unknown';
  const headline = v.answer === 'genuine' ? 'Genuine' : v.answer === 'do_not_use' ? 'Do not use' : 'Unknown code';
  return verdictBlock(
    tone,
    headline,
    [
      ['Genuine', v.genuine ? 'yes' : 'no', !v.genuine],
      ['Status', words(v.status)],
      ['Expiry', v.expiry ?? '—'],
      ['Recalled', v.recalled ? 'YES — lot recalled' : 'no', v.recalled],
    ],
    [v.message, 'Public verdict only: set a party token above for the full verdict and the history.'],
  );
}

function timeline(history: UnitHistory): HTMLElement {
  const items = history.events.map((e) =>
    h(
      'li',
      { class: e.erroneous ? 'event erroneous' : 'event' },
      h('time', { datetime: e.eventTime }, formatTime(e.eventTime)),
      h('span', { class: 'event-step' }, `${words(e.bizStep ?? e.eventType)}${e.disposition ? ` (${words(e.disposition)})` : ''}`),
      h('span', { class: 'event-party' }, `by ${e.party}`),
      e.location && h('span', { class: 'event-where' }, `at ${e.location}`),
      e.via && h('span', { class: 'event-via' }, `via container ${e.via}`),
      e.erroneous && h('strong', {}, ' declared erroneous'),
      h('span', { class: 'event-ledger' }, `ledger #${e.position}.${e.item}`),
    ),
  );
  const recalls = history.recalls.map((r) =>
    h('li', { class: 'event recall' }, h('span', { class: 'event-step' }, `${r.kind} of the lot`), h('span', { class: 'event-party' }, `by ${r.party}`), h('span', {}, r.reason), h('span', { class: 'event-ledger' }, `ledger #${r.position}`)),
  );
  return h(
    'div',
    {},
    h('h2', { id: 'history-heading' }, `History (${history.events.length} event${history.events.length === 1 ? '' : 's'})`),
    history.unit && h('p', {}, `Now: ${words(history.unit.status)}, held by ${history.unit.custodian ?? '—'}${history.unit.parent ? `, inside ${history.unit.parent}` : ''}.`),
    h('ol', { class: 'timeline', 'aria-labelledby': 'history-heading' }, ...items, ...recalls),
  );
}

/** Saves the unit's offline proof bundle (GET /v1/units/:code/proof-bundle) as a file, for the proof page or `drugtrace proof verify`. */
function proofButton(code: string): HTMLElement {
  const status = h('span', { role: 'status', class: 'proof-status' });
  const button = h('button', { type: 'button', id: 'proof-download' }, 'Save the proof bundle of this history');
  button.addEventListener('click', async () => {
    status.textContent = ' Preparing…';
    try {
      const bundle = await getJson<unknown>(`/v1/units/${encodeURIComponent(code)}/proof-bundle`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }));
      const link = h('a', { href: url, download: `proof-${code.replace(/^.*\//, '').replace(/[^A-Za-z0-9._-]/g, '_')}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      status.textContent = ' Saved. Check it offline on the proof page.';
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  });
  return h('p', {}, button, status);
}

/** Looks the code up: the full verdict and history with a token, else the public verdict. */
async function lookUp(code: string): Promise<void> {
  lastCode = code;
  show(verdictBox, h('p', { class: 'busy' }, 'Checking…'));
  show(historyBox);
  const encoded = encodeURIComponent(code);
  if (getToken()) {
    try {
      const [verdict, history] = await Promise.all([
        getJson<VerifyResult>(`/v1/units/${encoded}/verify`),
        getJson<UnitHistory>(`/v1/units/${encoded}/history`).catch((err: unknown) => err),
      ]);
      show(verdictBox, fullVerdict(verdict));
      if (history instanceof Error) show(historyBox, errorBox(history));
      else show(historyBox, timeline(history as UnitHistory), proofButton(code));
      verdictBox.focus();
      return;
    } catch (err) {
      if (!(err instanceof WebApiError && (err.status === 401 || err.status === 403))) {
        show(verdictBox, errorBox(err));
        return;
      }
      show(historyBox, errorBox(err));
    }
  }
  try {
    show(verdictBox, publicVerdictBlock(await getJson<PublicVerdict>(`/v1/verify/public/${encoded}`, { auth: false })));
    verdictBox.focus();
  } catch (err) {
    show(verdictBox, errorBox(err));
  }
}

/** The scanned symbols of an image: the first readable code is looked up, every symbol listed. */
async function handleSymbols(symbols: ScannedSymbol[], origin: string): Promise<boolean> {
  if (symbols.length === 0) {
    showSource([`${origin}: no barcode found.`]);
    return false;
  }
  const lines = symbols.map((s) =>
    s.ok ? `${s.format} ${s.symbologyIdentifier}: ${s.identifier.kind === 'cn' ? s.identifier.cn.code : s.identifier.bracketed}` : `${s.format} ${s.symbologyIdentifier}: unreadable — ${s.error.code}: ${s.error.message}`,
  );
  showSource([`${origin}: ${symbols.length} symbol${symbols.length === 1 ? '' : 's'}`, ...lines]);
  const first = symbols.find((s) => s.ok && s.identifier.uri);
  if (!first || !first.ok) return false;
  await lookUp(first.identifier.uri!);
  return true;
}

// ---- image upload -----------------------------------------------------------------------------

byId<HTMLInputElement>('image-input').addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  showSource([`Reading ${file.name}…`]);
  try {
    await handleSymbols(await scanImage(file), file.name);
  } catch (err) {
    show(sourceBox, errorBox(err));
  }
});

// ---- handheld scanner keystrokes ----------------------------------------------------------------

byId<HTMLFormElement>('keys-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('keys-input');
  const typed = input.value;
  if (!typed.trim()) return;
  try {
    const result = readKeystrokes(typed);
    const id = result.identifier;
    const shown = id.kind === 'cn' ? id.cn.code : id.bracketed;
    showSource([`Scanner input read as ${shown}`], result.corrections);
    if (!id.uri) {
      show(verdictBox, errorBox(new Error('the code carries no GS1 primary key (GTIN with serial, SSCC…) to look up')));
      return;
    }
    input.value = '';
    await lookUp(id.uri);
  } catch (err) {
    // Not scanner keystrokes: a code typed or pasted by a person (bracketed, Digital Link, EPC URN, CN code).
    if (/^\s*(\(|https?:\/\/|urn:)/i.test(typed)) {
      try {
        const uri = canonicalIdentifier(typed);
        showSource([`Typed code read as ${uri}`]);
        input.value = '';
        await lookUp(uri);
        return;
      } catch {
        // The keystroke reading's error says more about scanner input; show that one.
      }
    }
    show(sourceBox, errorBox(err));
    show(verdictBox);
    show(historyBox);
  }
});

// ---- camera -------------------------------------------------------------------------------------

let stream: MediaStream | null = null;
let scanning = false;

function stopCamera(): void {
  scanning = false;
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  byId('camera-start').hidden = false;
  byId('camera-stop').hidden = true;
  byId<HTMLVideoElement>('camera-video').hidden = true;
}

async function startCamera(): Promise<void> {
  const video = byId<HTMLVideoElement>('camera-video');
  if (!navigator.mediaDevices?.getUserMedia) {
    show(sourceBox, errorBox(new Error('this browser gives the page no camera (it needs https or localhost)')));
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (err) {
    show(sourceBox, errorBox(new Error(`no camera: ${err instanceof Error ? err.message : String(err)}`)));
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  byId('camera-start').hidden = true;
  byId('camera-stop').hidden = false;
  showSource(['Camera on: hold the code in view.']);
  scanning = true;
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  const tick = async () => {
    if (!scanning) return;
    if (video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      try {
        const symbols = await scanImage(frame, { effort: 'fast' });
        if (symbols.length > 0 && (await handleSymbols(symbols, 'Camera'))) {
          stopCamera();
          return;
        }
      } catch (err) {
        show(sourceBox, errorBox(err));
        stopCamera();
        return;
      }
    }
    setTimeout(tick, 250);
  };
  void tick();
}

byId('camera-start').addEventListener('click', () => void startCamera());
byId('camera-stop').addEventListener('click', stopCamera);

setupTokenForm(() => {
  if (lastCode) void lookUp(lastCode);
});
