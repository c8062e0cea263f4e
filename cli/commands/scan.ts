/**
 * `drugtrace scan IMAGE... [--json]`: every barcode in the images, each parsed to a validated
 * identifier or a typed error. Exit 1 when any symbol fails validation, an image cannot be read
 * as PNG/JPEG, or no symbol is found at all; 2 when a file cannot be opened.
 *
 * Also exports KEYSTROKE_RECOGNISER, the hook `drugtrace parse` uses for raw scanner keystrokes.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { aiTitle, buildDigitalLink, DigitalLinkError } from '../../codes/gs1/index.ts';
import { ScanError, readKeystrokes, scanImage, type Identifier, type ScannedSymbol } from '../../scanner/node.ts';
import { CliExit, EXIT, output } from '../common.ts';
import type { ParsedCode, Recogniser } from './parse.ts';

function describeIdentifier(id: Identifier): string {
  if (id.kind === 'cn') return `CN ${id.cn.resourceCode} ${id.cn.serial} ${id.cn.check}`;
  return id.kind === 'digital-link' ? `Digital Link ${id.bracketed}` : id.bracketed;
}

function humanSymbol(s: ScannedSymbol): string {
  const head = `  ${s.format} ${s.symbologyIdentifier}`.padEnd(20);
  return s.ok ? `${head} valid    ${describeIdentifier(s.identifier)}${s.identifier.uri ? `  ${s.identifier.uri}` : ''}` : `${head} INVALID  ${s.error.code}: ${s.error.message}`;
}

export function register(program: Command): void {
  program
    .command('scan')
    .addHelpText('after', '\nLocal by nature: images are decoded on this machine, with no ledger and no server (there is no --server).')
    .description('decode every barcode in PNG/JPEG images and validate each')
    .argument('<image...>', 'PNG or JPEG files')
    .option('--fast', 'one pass over each image as given (clean, upright images); default also tries rotated and downscaled passes')
    .option('--retail', 'also read EAN/UPC and GS1 DataBar (off by default: an EAN-13 repeats the GTIN without its serial)')
    .option('--json', 'print one JSON document')
    .action(async (files: string[], opts: { fast?: boolean; retail?: boolean; json?: boolean }) => {
      const out = output(opts);
      const images: Array<{ file: string; symbols: ScannedSymbol[]; error?: { code: string; message: string } }> = [];
      for (const file of files) {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(readFileSync(file));
        } catch (err) {
          throw new CliExit(EXIT.usage, `drugtrace scan: cannot read ${file}: ${(err as Error).message}`);
        }
        try {
          images.push({ file, symbols: await scanImage(bytes, { effort: opts.fast ? 'fast' : 'thorough', includeRetail: opts.retail }) });
        } catch (err) {
          if (!(err instanceof ScanError)) throw err;
          images.push({ file, symbols: [], error: { code: err.code, message: err.message } });
        }
      }
      const symbols = images.flatMap((i) => i.symbols);
      const invalid = symbols.filter((s) => !s.ok).length;
      const unreadable = images.filter((i) => i.error).length;
      const doc = { ok: symbols.length > 0 && invalid === 0 && unreadable === 0, found: symbols.length, valid: symbols.length - invalid, invalid, images };
      const human = () =>
        images
          .map((i) =>
            i.error
              ? `${i.file}: ${i.error.code}: ${i.error.message}`
              : [`${i.file}: ${i.symbols.length} symbol${i.symbols.length === 1 ? '' : 's'}`, ...i.symbols.map(humanSymbol)].join('\n'),
          )
          .join('\n');
      if (!doc.ok) {
        const why = unreadable ? `${unreadable} image(s) unreadable` : symbols.length === 0 ? 'no barcode found' : `${invalid} of ${symbols.length} symbol(s) invalid`;
        if (!opts.json) process.stdout.write(human() + '\n');
        throw new CliExit(EXIT.no, `drugtrace scan: ${why}`, doc);
      }
      out.result(doc, human);
    });
}

/** Signs that a string came through a keyboard wedge rather than being typed by a person. */
function needsKeystrokeRepair(input: string): boolean {
  try {
    return readKeystrokes(input).corrections.length > 0;
  } catch (err) {
    return err instanceof ScanError && err.code === 'SCAN_AMBIGUOUS';
  }
}

/**
 * For `drugtrace parse`: claims input that only reads as a code after keystroke repair (GS as ^]
 * or ␝, a dropped GS, a German/French layout, Caps Lock) or that is ambiguous; clean input is left
 * to the family recognisers. Every correction is printed; an ambiguous input fails with SCAN_AMBIGUOUS.
 */
export const KEYSTROKE_RECOGNISER: Recogniser = {
  name: 'keystrokes',
  matches: needsKeystrokeRepair,
  parse(input): ParsedCode {
    const r = readKeystrokes(input);
    const id = r.identifier;
    let digitalLink: string | null = null;
    if (id.kind !== 'cn') {
      try {
        digitalLink = buildDigitalLink(id.elements);
      } catch (err) {
        if (!(err instanceof DigitalLinkError)) throw err;
      }
    }
    const elements = id.kind === 'cn' ? [] : id.elements.map((e) => ({ ai: e.ai, title: aiTitle(e.ai), value: e.value }));
    return {
      kind: id.kind === 'cn' ? 'cn' : 'gs1',
      json: {
        form: 'keystrokes',
        symbology: r.symbologyIdentifier,
        corrections: r.corrections,
        transmitted: r.transmitted,
        ...(id.kind === 'cn' ? { cn: id.cn } : { elements, bracketed: id.bracketed, digitalLink }),
      },
      text: [
        `Scanner keystrokes: valid after ${r.corrections.length} correction${r.corrections.length === 1 ? '' : 's'}`,
        ...r.corrections.map((c) => `  corrected (${c.kind}): ${c.detail}`),
        ...elements.map((e) => `  (${e.ai}) ${e.title}: ${e.value}`),
        `Reads as:      ${describeIdentifier(id)}`,
        ...(digitalLink ? [`Digital Link:  ${digitalLink}`] : []),
      ],
    };
  },
};
