/**
 * Scanner decode: time to decode one symbol and a 24-label sheet (zxing-wasm through
 * scanner/decode.ts), against baselines in the same process: the PNG -> pixels conversion alone
 * (pngjs), and zxing on a blank image of the same size. Then the decode rate per degradation.
 *
 *   npx tsx bench/scanner.bench.ts [--rounds 60] [--per-symbology 10]
 */
import { blankRaster, layoutLabel, planLabel, rasterizeLayout, renderSheetRasters } from '../codes/labels/index.ts';
import { decodePng, encodePng } from '../codes/labels/png.ts';
import { decodeImage, scanImage, type DecodeOptions, type ImageInput } from '../scanner/node.ts';
import { cnCode, digitalLink, rng, ssccCode, unitCode } from '../test/scanner/helpers/codes.ts';
import { DEGRADATIONS, pad } from '../test/scanner/helpers/images.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 60);
const PER_SYMBOLOGY = arg('per-symbology', 10);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Timing {
  median: number;
  best: number;
}

/** Median and best wall time of `f` over ROUNDS runs after 5 warm-up runs. */
async function time(f: () => unknown): Promise<Timing> {
  for (let i = 0; i < 5; i++) await f();
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await f();
    xs.push(performance.now() - t0);
  }
  return { median: median(xs), best: Math.min(...xs) };
}

const ms = (t: Timing) => `${t.median.toFixed(2)} (${t.best.toFixed(2)})`;
const ratio = (a: Timing, b: Timing) => (a.median / b.median).toFixed(2);

async function main() {
  const r = rng(2026);
  const unit = unitCode(r);
  // One GS1 DataMatrix unit label at 4 px per module, as a phone or fixed scanner would frame it.
  const onePng = encodePng(pad(rasterizeLayout(layoutLabel(planLabel(unit)), 4), 16));
  const onePixels = decodePng(onePng);
  const oneBlank = encodePng(blankRaster(onePixels.width, onePixels.height));
  const makers = [unitCode, ssccCode, cnCode, digitalLink];
  const sheetCodes = Array.from({ length: 24 }, (_, i) => makers[i % 4](r));
  const [sheet] = renderSheetRasters(sheetCodes);
  const sheetPng = encodePng(sheet.raster, 150);
  const sheetBlank = encodePng(blankRaster(sheet.raster.width, sheet.raster.height));

  const found = await decodeImage(sheetPng);
  if (found.length !== 24) throw new Error(`sheet: found ${found.length} of 24`);
  if ((await decodeImage(onePng)).length !== 1) throw new Error('one symbol: not found');

  const load = await import('node:os').then((os) => os.loadavg()[0].toFixed(1));
  console.log(`# Scanner decode (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${ROUNDS} runs each, load average ${load})`);
  console.log(`one symbol: GS1 DataMatrix ${onePixels.width}×${onePixels.height} px PNG (${onePng.length} bytes)`);
  console.log(`sheet: 24 labels (6 each DataMatrix, GS1-128, Code 128 CN, QR Digital Link), A4 at 150 dpi, ${sheet.raster.width}×${sheet.raster.height} px PNG (${sheetPng.length} bytes)`);
  console.log('');
  console.log('Times in ms: median (best) of the runs; ratios of medians.');
  console.log('');
  console.log('| image | effort | decode ms | PNG->pixels ms (pngjs) | zxing on blank same size ms | decode / PNG->pixels | decode / blank | target (median) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, png, pixels, blank, target] of [
    ['one symbol', onePng, onePixels, oneBlank, 5],
    ['24-label sheet', sheetPng, sheet.raster, sheetBlank, 50],
  ] as const) {
    const toPixels = await time(() => decodePng(png));
    for (const effort of ['thorough', 'fast'] as const) {
      const opts: DecodeOptions = { effort };
      const blankMs = await time(() => decodeImage(blank, opts));
      for (const [what, input] of [
        ['PNG bytes', png],
        ['RGBA pixels', pixels],
      ] as Array<[string, ImageInput]>) {
        const decodeMs = await time(() => decodeImage(input, opts));
        console.log(
          `| ${name}, ${what} | ${effort} | ${ms(decodeMs)} | ${ms(toPixels)} | ${ms(blankMs)} | ${ratio(decodeMs, toPixels)} | ${ratio(decodeMs, blankMs)} | ≤ ${target} ms: ${decodeMs.median <= target ? 'met' : 'missed'} |`,
        );
      }
    }
  }

  // Decode rate per degradation: PER_SYMBOLOGY random codes of each symbology, label at 4 px per module.
  console.log('');
  console.log(`Decode rate per degradation (${PER_SYMBOLOGY} random codes per symbology, label at 4 px/module, thorough effort; counted only if the identifier equals the original):`);
  console.log('');
  const symbologies = [
    ['DataMatrix', unitCode],
    ['GS1-128', ssccCode],
    ['Code 128 CN', cnCode],
    ['QR DL', digitalLink],
  ] as const;
  const labels = symbologies.map(([name, make]) => ({
    name,
    items: Array.from({ length: PER_SYMBOLOGY }, () => {
      const code = make(r);
      return { code, raster: pad(rasterizeLayout(layoutLabel(planLabel(code)), 4), 24) };
    }),
  }));
  console.log(`| degradation | mild (asserted in tests) | ${symbologies.map(([n]) => n).join(' | ')} | all |`);
  console.log(`|---|---|${symbologies.map(() => '---').join('|')}|---|`);
  for (const d of DEGRADATIONS) {
    const rates: string[] = [];
    let ok = 0;
    let total = 0;
    for (const group of labels) {
      let hits = 0;
      for (const { code, raster } of group.items) {
        const symbols = await scanImage(d.apply(raster));
        const s = symbols[0];
        const got =
          symbols.length === 1 && s.ok
            ? s.identifier.kind === 'cn'
              ? s.identifier.cn.code
              : s.identifier.kind === 'digital-link'
                ? s.text
                : s.identifier.bracketed
            : undefined;
        if (got === code) hits++;
      }
      rates.push(`${hits}/${group.items.length}`);
      ok += hits;
      total += group.items.length;
    }
    console.log(`| ${d.name} | ${d.mild ? 'yes' : ''} | ${rates.join(' | ')} | ${Math.round((100 * ok) / total)}% |`);
  }
}

await main();
