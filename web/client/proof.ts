/**
 * The offline proof check: a proof bundle file (drugtrace proof export) dropped or chosen here is
 * verified entirely in this page by ledger/bundle.ts on @noble/ed25519 and @noble/hashes: no
 * request leaves the page, so it works with the network off once loaded. Says which check failed.
 */
import { verifyBundle, type BundleCheck, type BundleReport } from '../../ledger/bundle.ts';
import { byId, errorBox, h, show } from './common.ts';

const drop = byId('drop-zone');
const fileInput = byId<HTMLInputElement>('bundle-input');
const keyInput = byId<HTMLTextAreaElement>('operator-key');
const out = byId('proof-result');

/** Bundles can be large (100,000 entries); refuse anything a browser should not parse whole. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

const CHECK_WORDS: Record<BundleCheck['status'], string> = { pass: 'passed', fail: 'FAILED', skip: 'skipped' };

function checkItem(c: BundleCheck): HTMLElement {
  const where = [c.index !== undefined ? `entry #${c.index}` : '', c.item !== undefined ? `item ${c.item}` : ''].filter(Boolean).join(', ');
  return h(
    'li',
    { class: `check check-${c.status}`, 'data-check': c.check, 'data-status': c.status },
    h('span', { class: 'check-status' }, CHECK_WORDS[c.status]),
    ' ',
    h('span', { class: 'check-name' }, c.check),
    where && ` (${where})`,
    c.code && h('code', {}, ` ${c.code}`),
    ' — ',
    c.message,
  );
}

function render(name: string, report: BundleReport): void {
  const failure = report.firstFailure;
  const passed = report.checks.filter((c) => c.status === 'pass').length;
  const trust = report.trust.operatorKeyPinned
    ? 'The operator key was pinned by you.'
    : 'The operator key was taken from the bundle itself: paste the operator verifier key you trust to pin it.';
  show(
    out,
    h(
      'div',
      { class: `verdict ${report.ok ? 'verdict-ok' : 'verdict-stop'}`, 'data-verdict': report.ok ? 'ok' : 'fail', id: 'proof-verdict', tabindex: '-1' },
      h('p', { class: 'verdict-word' }, h('span', { class: 'verdict-mark', 'aria-hidden': 'true' }, report.ok ? '✓' : '✗'), report.ok ? ' Proof verified' : ' Proof NOT verified'),
      failure
        ? h('p', { id: 'first-failure' }, h('strong', {}, `Failed check: ${failure.check}`), failure.code ? ` (${failure.code})` : '', ` — ${failure.message}`)
        : h('p', {}, `${name}: ${passed} checks passed against the checkpoint of ${report.origin ?? '—'} at size ${report.size ?? '—'}.`),
      h('p', {}, trust),
      report.rootHash && h('p', { class: 'code' }, `Root hash ${report.rootHash}`),
    ),
    h('h2', {}, `Every check (${report.checks.length})`),
    h('ol', { class: 'checks', id: 'checks' }, ...report.checks.map(checkItem)),
  );
  byId('proof-verdict').focus();
}

async function check(file: File): Promise<void> {
  if (file.size > MAX_FILE_BYTES) {
    show(out, errorBox(Object.assign(new Error(`${file.name} is ${file.size} bytes; the page reads bundles up to ${MAX_FILE_BYTES} bytes`), { code: 'BUNDLE_TOO_LARGE' })));
    return;
  }
  const text = await file.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // verifyBundle reports a non-bundle as a failed `format` check; JSON that does not parse never gets that far.
    value = text;
    void err;
  }
  const keys = keyInput.value
    .split(/\s+/)
    .map((k) => k.trim())
    .filter(Boolean);
  // Let the "checking" state paint before the (synchronous) verification runs.
  show(out, h('p', { class: 'busy' }, `Checking ${file.name}…`));
  await new Promise((resolve) => setTimeout(resolve, 0));
  try {
    render(file.name, verifyBundle(value, keys.length > 0 ? { trustedOperatorKeys: keys } : {}));
  } catch (err) {
    show(out, errorBox(err));
  }
}

fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) void check(file);
});
for (const type of ['dragenter', 'dragover'] as const) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
}
drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('dragging');
  const file = event.dataTransfer?.files[0];
  if (file) void check(file);
});
