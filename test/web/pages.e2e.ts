/**
 * The web pages end to end, in Debian's Chromium (playwright-core), against the real server on
 * the demo supply chain: scan by image upload and by handheld-scanner keystrokes, the recall
 * report, the offline proof check (network off), and the consumer page. Screenshots go to
 * test-artifacts/web/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DrugTraceClient } from '../../api/client.ts';
import { renderLabelPng } from '../../codes/labels/png.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { fromBase64, toBase64 } from '../../ledger/bytes.ts';
import { serializeBundle, type ProofBundle } from '../../ledger/bundle.ts';
import { exportUnitBundle } from '../../trace/proofs.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from '../../ledger/note.ts';
import { ed25519, sha256 } from '../../ledger/crypto-node.ts';
import { DEMO_PARTIES } from '../../trace/demo.ts';
import type { RecallReport, UnitHistory, VerifyResult } from '../../trace/queries/index.ts';
import { ARTIFACTS, apiJson, launchWithCamera, startSite, y4mOf, type Site } from './harness.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
}, 120_000);

afterAll(async () => {
  await site?.close();
});

async function openPage(path: string): Promise<Page> {
  const page = await site.browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  // Every request must go to our own server: no CDN, no fonts, no scripts from elsewhere.
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(site.base) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.push(`external request: ${url}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  (page as Page & { problems: string[] }).problems = problems;
  await page.goto(site.base + path);
  return page;
}

function problemsOf(page: Page): string[] {
  return (page as Page & { problems: string[] }).problems;
}

async function useToken(page: Page, token: string): Promise<void> {
  await page.fill('#token-input', token);
  await page.click('#token-form button[type="submit"]');
  await expect.poll(() => page.textContent('#token-state')).toContain('A token is set');
}

function bracketed(code: string): string {
  const m = /\/01\/(\d{14})\/21\/([^/?]+)$/.exec(code);
  if (!m) throw new Error(`not a GTIN + serial Digital Link: ${code}`);
  return `(01)${m[1]}(21)${decodeURIComponent(m[2])}`;
}

describe('scan page', () => {
  it('reads an uploaded DataMatrix image in the browser, shows the verdict and the history timeline, and saves a proof bundle the offline page verifies', async () => {
    const code = site.demo.lookAt.history;
    const expected = await apiJson<UnitHistory>(site, `/v1/units/${encodeURIComponent(code)}/history`, site.tokens.regulator);
    const page = await openPage('/web/scan');
    await useToken(page, site.tokens.regulator);
    await page.setInputFiles('#image-input', { name: 'unit-label.png', mimeType: 'image/png', buffer: renderLabelPng(bracketed(code), 'datamatrix') });

    await page.waitForSelector('#verdict .verdict');
    expect(await page.textContent('#scan-source')).toContain(`DataMatrix ]d2: ${bracketed(code)}`);
    expect(await page.getAttribute('#verdict .verdict', 'data-verdict')).toBe('stop');
    const verdict = (await page.textContent('#verdict'))!;
    expect(verdict).toMatch(/Do not dispense/i);
    expect(verdict).toContain('the lot A2601 was recalled');
    expect(verdict).toContain('YES — lot recalled');
    expect(verdict).toContain('2028-02-29');

    await page.waitForSelector('#history .timeline');
    const items = await page.$$eval('#history .timeline li', (lis) => lis.map((li) => li.textContent ?? ''));
    expect(items).toHaveLength(expected.events.length + expected.recalls.length);
    expect(items[0]).toContain('commissioning');
    expect(items[0]).toContain(expected.events[0].party);
    expect(items.at(-1)).toContain('recall of the lot');
    await page.screenshot({ path: join(ARTIFACTS, 'scan-upload.png'), fullPage: true });

    // The history's proof bundle, saved from the scan page, verifies on the offline page.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#proof-download')]);
    expect(download.suggestedFilename()).toMatch(/^proof-.+\.json$/);
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(JSON.parse(saved)).toMatchObject({ format: 'drugtrace-proof-bundle/v1' });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
    const proof = await openPage('/web/proof');
    await proof.setInputFiles('#bundle-input', { name: download.suggestedFilename(), mimeType: 'application/json', buffer: Buffer.from(saved) });
    await proof.waitForSelector('#proof-verdict');
    expect(await proof.getAttribute('#proof-verdict', 'data-verdict')).toBe('ok');
    expect(problemsOf(proof)).toEqual([]);
    await proof.close();
  });

  it('repairs handheld-scanner keystrokes with a missing GS separator, says so, and shows the verdict of the corrected code', async () => {
    // A unit commissioned through the real server: a 14-letter serial, so the lot's (10) can only start after it.
    const mah = DEMO_PARTIES.find((p) => p.id === 'mah-huaxin')!;
    const gtin = site.demo.products[0].gtin;
    const code = `https://id.gs1.org/01/${gtin}/21/PACKQWERTYUXYZ`;
    const manufacturer = new DrugTraceClient({ baseUrl: site.base, token: site.tokens.manufacturer });
    await manufacturer.signAndCapture(
      {
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
        type: 'EPCISDocument',
        schemaVersion: '2.0',
        creationDate: '2026-04-01T08:00:00Z',
        epcisBody: {
          eventList: [
            {
              type: 'ObjectEvent',
              eventTime: '2026-04-01T08:00:00.000+08:00',
              eventTimeZoneOffset: '+08:00',
              epcList: [code],
              action: 'ADD',
              bizStep: 'commissioning',
              disposition: 'active',
              readPoint: { id: mah.location },
              bizLocation: { id: mah.location },
              ilmd: { 'cbvmda:lotNumber': 'K2701', 'cbvmda:itemExpirationDate': '2029-06-30' },
            },
          ],
        },
      },
      site.keys.get('mah-huaxin')!,
    );

    const page = await openPage('/web/scan');
    await useToken(page, site.tokens.regulator);
    // What a scanner that drops GS types: ]d2 01 GTIN 21 serial 10 lot, with no separator after the serial.
    await page.fill('#keys-input', `]d201${gtin}21PACKQWERTYUXYZ10K2701`);
    await page.press('#keys-input', 'Enter');

    await page.waitForSelector('#verdict .verdict');
    const source = (await page.textContent('#scan-source'))!;
    expect(source).toContain(`(01)${gtin}(21)PACKQWERTYUXYZ(10)K2701`);
    expect(source).toContain('Read after 1 correction');
    expect(source).toContain('missing separator');
    expect(source).toContain('GS inserted after (21) PACKQWERTYUXYZ');
    expect(await page.getAttribute('#verdict .verdict', 'data-verdict')).toBe('ok');
    const verdict = (await page.textContent('#verdict'))!;
    expect(verdict).toMatch(/OK to dispense/i);
    expect(verdict).toContain('K2701');
    expect(verdict).toContain('2029-06-30');
    await page.waitForSelector('#history .timeline li');
    expect(await page.$$eval('#history .timeline li', (lis) => lis.length)).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'scan-keystrokes.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('reads a code held up to the camera (Chromium\'s fake capture device playing a label)', async () => {
    const code = site.demo.lookAt.okToDispense;
    const label = PNG.sync.read(renderLabelPng(bracketed(code), 'datamatrix', 4));
    const video = join(site.dir, 'label.y4m');
    writeFileSync(video, y4mOf(label));
    const camera = await launchWithCamera(site, video);
    try {
      const page = await camera.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${site.base}/web/scan`);
      await page.click('#camera-start');
      await page.waitForSelector('#verdict .verdict', { timeout: 30_000 });
      expect(await page.textContent('#scan-source')).toContain(`Camera: 1 symbol`);
      expect(await page.textContent('#scan-source')).toContain(bracketed(code));
      // No token in this browser: the public verdict, and the camera has been stopped.
      expect(await page.getAttribute('#verdict .verdict', 'data-verdict')).toBe('ok');
      expect(await page.isHidden('#camera-video')).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, 'scan-camera.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await camera.close();
    }
  });

  it('without a token shows the public verdict only', async () => {
    const page = await openPage('/web/scan');
    await page.fill('#keys-input', bracketed(site.demo.lookAt.okToDispense));
    await page.press('#keys-input', 'Enter');
    await page.waitForSelector('#verdict .verdict');
    expect(await page.getAttribute('#verdict .verdict', 'data-verdict')).toBe('ok');
    expect(await page.textContent('#verdict')).toContain('Public verdict only');
    expect(await page.$$('#history .timeline')).toHaveLength(0);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});

describe('recall page', () => {
  it('shows the counts by status, draws the distribution graph, lists the unaccounted units and exports CSV', async () => {
    const { gtin, lot } = site.demo.lookAt.recallLot;
    const page = await openPage(`/web/recall`);
    await useToken(page, site.tokens.regulator);
    await page.fill('#recall-gtin', gtin);
    await page.fill('#recall-lot', lot);
    await page.click('#recall-form button[type="submit"]');
    await page.waitForSelector('#status-counts');
    const report = await apiJson<RecallReport>(site, `/v1/recalls/report?lot=${lot}&gtin=${gtin}`, site.tokens.regulator);
    expect(report.total).toBe(24);

    const counts = await page.$$eval('#status-counts tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-status'), r.querySelector('td')?.textContent]));
    expect(Object.fromEntries(counts)).toEqual({
      ...Object.fromEntries(Object.entries(report.byStatus).map(([s, n]) => [s, String(n)])),
      'recall-flag': String(report.recalledUnits),
    });
    expect(report.byStatus).toMatchObject({ dispensed: 4, stolen: 1 });

    // The graph: one node per party, one edge per shipment, each edge labelled with its unit count.
    const nodes = await page.$$eval('#distribution-graph g.node', (gs) => gs.map((g) => g.getAttribute('data-party')));
    expect(nodes.sort()).toEqual(report.graph.nodes.map((n) => n.party).sort());
    const edges = await page.$$eval('#distribution-graph g.edge', (gs) => gs.map((g) => `${g.getAttribute('data-from')}>${g.getAttribute('data-to')}:${g.querySelector('text')?.textContent}`));
    expect(edges.sort()).toEqual(report.graph.edges.map((e) => `${e.from}>${e.to}:${e.units}${e.pending ? '…' : ''}`).sort());
    expect(report.graph.edges.length).toBeGreaterThan(3);
    // Drawn, not just present: the picture has a size and every node box is inside it.
    const box = await page.locator('#distribution-graph').boundingBox();
    expect(box!.width).toBeGreaterThan(400);
    expect(box!.height).toBeGreaterThan(100);

    const unaccounted = await page.$$eval('#unaccounted tbody tr', (rows) => rows.map((r) => r.querySelector('td')?.textContent));
    expect(unaccounted.sort()).toEqual(report.unaccounted.map((u) => u.code).sort());
    expect(unaccounted.length).toBeGreaterThan(0);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-link')]);
    expect(download.suggestedFilename()).toBe(`recall-${gtin}-${lot}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('code,status,recalled,custodian,location,path,pending_to,dispensed_by,dispensed_at,last_event_at,unaccounted');
    expect(lines).toHaveLength(report.units.length + 1);
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(report.units.map((u) => u.code).sort());

    await page.screenshot({ path: join(ARTIFACTS, 'recall-report.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});

describe('offline proof check page', () => {
  let bundleText: string;

  beforeAll(() => {
    const ledger = Ledger.open(site.dbFile);
    try {
      bundleText = serializeBundle(exportUnitBundle(ledger, site.demo.lookAt.history).bundle);
    } finally {
      ledger.close();
    }
  });

  async function checkOffline(name: string, text: string, pinnedKey?: string): Promise<Page> {
    const page = await openPage('/web/proof');
    await page.waitForLoadState('networkidle');
    if (pinnedKey) await page.fill('#operator-key', pinnedKey);
    await page.context().setOffline(true);
    try {
      await page.setInputFiles('#bundle-input', { name, mimeType: 'application/json', buffer: Buffer.from(text) });
      await page.waitForSelector('#proof-verdict');
    } finally {
      await page.context().setOffline(false);
    }
    return page;
  }

  it('verifies a real proof bundle in the browser with the network off', async () => {
    const page = await checkOffline('unit-proof.json', bundleText);
    expect(await page.getAttribute('#proof-verdict', 'data-verdict')).toBe('ok');
    expect(await page.textContent('#proof-verdict')).toContain('Proof verified');
    const statuses = await page.$$eval('#checks li', (lis) => lis.map((li) => li.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses).not.toContain('fail');
    await page.screenshot({ path: join(ARTIFACTS, 'proof-ok.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it("checks the operator key the user pins: the log's own key passes, another key fails the operator-key check", async () => {
    const own = (JSON.parse(bundleText) as ProofBundle).log.operatorKey;
    const pinned = await checkOffline('unit-proof.json', bundleText, own);
    expect(await pinned.getAttribute('#proof-verdict', 'data-verdict')).toBe('ok');
    expect(await pinned.textContent('#proof-verdict')).toContain('pinned by you');
    await pinned.close();

    const stranger = formatVerifierKey(sha256, 'drugtrace.example/demo', SIGNATURE_TYPE_ED25519, ed25519.publicKey(ed25519.generateSecretKey()));
    const page = await checkOffline('unit-proof.json', bundleText, stranger);
    expect(await page.getAttribute('#proof-verdict', 'data-verdict')).toBe('fail');
    expect(await page.textContent('#first-failure')).toContain('Failed check: operator-key');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('fails a tampered bundle and names the check that failed', async () => {
    const bundle = JSON.parse(bundleText) as ProofBundle;
    // Change one character of a signed capture entry's bytes: its leaf no longer matches the tree.
    const target = bundle.entries[bundle.entries.length - 1];
    const text = new TextDecoder().decode(fromBase64(target.entry));
    const changed = text.replace(/"claimedTime":"(\d)/, (_m, d: string) => `"claimedTime":"${d === '2' ? '3' : '2'}`);
    expect(changed).not.toBe(text);
    target.entry = toBase64(new TextEncoder().encode(changed));
    const page = await checkOffline('tampered.json', JSON.stringify(bundle));
    expect(await page.getAttribute('#proof-verdict', 'data-verdict')).toBe('fail');
    const verdict = (await page.textContent('#proof-verdict'))!;
    expect(verdict).toContain('Proof NOT verified');
    expect(verdict).toContain(`Failed check: entry-inclusion`);
    const failed = await page.$$eval('#checks li[data-status="fail"]', (lis) => lis.map((li) => li.getAttribute('data-check')));
    expect(failed[0]).toBe('entry-inclusion');
    await page.screenshot({ path: join(ARTIFACTS, 'proof-tampered.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});

describe('consumer page', () => {
  it('opens from the Digital Link of a dispensed pack on a phone-sized screen and shows only the minimal verdict', async () => {
    const lot = site.demo.lots.find((l) => l.lot !== site.demo.lookAt.recallLot.lot && l.gtin === site.demo.products[0].gtin)!;
    const report = await apiJson<RecallReport>(site, `/v1/recalls/report?lot=${lot.lot}&gtin=${lot.gtin}`, site.tokens.regulator);
    const dispensed = report.dispensed[0];
    expect(dispensed).toBeDefined();
    const full = await apiJson<VerifyResult>(site, `/v1/units/${encodeURIComponent(dispensed.code)}/verify`, site.tokens.regulator);
    expect(full.status).toBe('dispensed');

    const phone = await site.browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    const path = new URL(dispensed.code).pathname;
    const response = await phone.goto(site.base + path);
    expect(response!.headers()['content-type']).toMatch(/^text\/html/);
    expect(await phone.textContent('h1')).toBe('Genuine');
    const body = (await phone.textContent('body'))!;
    expect(body).toContain('dispensed by a pharmacy');
    expect(body).toContain(full.expiry!);
    // No commercial data: not the lot, the pharmacy, the custodian or the product owner.
    for (const secret of [full.lot!, dispensed.party, 'mah-huaxin', 'dist-', 'pharmacy-']) expect(body).not.toContain(secret);
    expect(await phone.$$eval('main', (m) => m.length)).toBe(1);
    // Fits the phone: nothing wider than the screen.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(ARTIFACTS, 'consumer-dispensed.png'), fullPage: true });
    await phone.close();
  });
});

describe('every page, keyboard and phone', () => {
  it.each(['/web/', '/web/scan', '/web/recall', '/web/proof'])('%s: landmarks, a label for every field, no sideways scrolling at 390 px', async (path) => {
    const page = await openPage(path);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.$$eval('header, nav, main', (els) => els.map((e) => e.tagName.toLowerCase()).sort())).toEqual(['header', 'main', 'nav']);
    const unlabelled = await page.$$eval('input, textarea, select', (els) =>
      els.filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label')).map((el) => el.id || el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // The first Tab reaches the skip link, which leads to the main content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe('#main');
    await page.screenshot({ path: join(ARTIFACTS, `phone${path.replace(/\//g, '-').replace(/-$/, '')}.png`), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('the scan page works from the keyboard alone: Tab to the scanner field, type, Enter', async () => {
    const page = await openPage('/web/scan');
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'keys-input');
    }
    expect(reached).toBe(true);
    await page.keyboard.type(bracketed(site.demo.lookAt.recalled));
    await page.keyboard.press('Enter');
    await page.waitForSelector('#verdict .verdict');
    expect(await page.getAttribute('#verdict .verdict', 'data-verdict')).toBe('stop');
    // The verdict takes focus when it arrives, so a screen reader reads it next.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('verdict');
    // The upload button is reachable by Tab too (the file input itself takes focus).
    let upload = false;
    for (let i = 0; i < 12 && !upload; i++) {
      await page.keyboard.press('Tab');
      upload = await page.evaluate(() => document.activeElement?.id === 'image-input');
    }
    expect(upload).toBe(true);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});
