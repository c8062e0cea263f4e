/**
 * `drugtrace label CODE... --format png|svg|sheet --out PATH`: barcode labels for codes (bracketed
 * GS1 element strings, Digital Link URIs, CN codes). One code: PATH is the file. Several codes with
 * png/svg: PATH is a folder, one file per code. sheet: A4 pages of 24 labels, SVG (or PNG when PATH
 * ends in .png); page 2 onwards get -2, -3… before the extension. "-" reads codes from stdin, one a line.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { LabelError, planLabel, renderLayoutSvg, layoutLabel, renderSheetSvg, type SymbologyChoice } from '../../codes/labels/index.ts';
import { renderLabelPng, renderSheetPngs } from '../../codes/labels/png.ts';
import { CliExit, EXIT, output } from '../common.ts';

interface LabelOptions {
  format: 'png' | 'svg' | 'sheet';
  out: string;
  symbology: SymbologyChoice;
  scale: string;
  dpi: string;
  json?: boolean;
}

function codeError(err: unknown): { code: string; message: string; ai?: string | null; rule?: string; position?: number } | undefined {
  if (!(err instanceof Error) || typeof (err as { code?: unknown }).code !== 'string') return undefined;
  const e = err as Error & { code: string; ai?: string | null; rule?: string; position?: number; details?: { position?: number } };
  return { code: e.code, message: e.message, ai: e.ai, rule: e.rule, position: e.position ?? e.details?.position };
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliExit(EXIT.usage, `drugtrace label: --${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

/** File name for one label among many: its position and a filesystem-safe form of the code. */
function fileFor(dir: string, index: number, code: string, ext: string): string {
  const safe = code.replace(/^https?:\/\/[^/]+/i, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60);
  return join(dir, `${String(index + 1).padStart(3, '0')}-${safe || 'code'}.${ext}`);
}

function pagePath(path: string, page: number): string {
  if (page === 0) return path;
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}-${page + 1}${ext}`);
}

export function register(program: Command): void {
  program
    .command('label')
    .addHelpText('after', '\nLocal by nature: labels are drawn on this machine from the codes given (there is no --server).')
    .description('barcode labels: GS1 DataMatrix, GS1-128, Code 128 (CN codes), GS1 QR (Digital Link); PNG, SVG or A4 sheets')
    .argument('<code...>', 'bracketed GS1 element string, Digital Link URI or CN code; "-" reads codes from stdin, one a line')
    .addOption(new Option('--format <format>', 'png, svg, or sheet (A4, 24 labels a page)').choices(['png', 'svg', 'sheet']).makeOptionMandatory())
    .requiredOption('--out <path>', 'output file (a folder for several png/svg labels)')
    .addOption(
      new Option('--symbology <symbology>', 'auto picks DataMatrix for units, GS1-128 for SSCCs, Code 128 for CN codes, QR for Digital Links')
        .choices(['auto', 'datamatrix', 'gs1-128', 'code128', 'qr'])
        .default('auto'),
    )
    .option('--scale <n>', 'PNG: pixels per module', '4')
    .option('--dpi <n>', 'PNG sheet: pixels per inch', '150')
    .option('--json', 'print one JSON document')
    .action((args: string[], opts: LabelOptions) => {
      const out = output(opts);
      const scale = positiveInt('scale', opts.scale);
      const dpi = positiveInt('dpi', opts.dpi);
      const codes = args.flatMap((a) =>
        a === '-'
          ? readFileSync(0, 'utf8')
              .split(/\r?\n/)
              .map((l) => l.trim())
              .filter(Boolean)
          : [a],
      );
      if (codes.length === 0) throw new CliExit(EXIT.usage, 'drugtrace label: no codes given');

      // Validate every code before writing anything, so a bad code leaves no partial output.
      const plans = [];
      for (const code of codes) {
        try {
          plans.push(planLabel(code, opts.symbology));
        } catch (err) {
          const error = codeError(err);
          if (!error) throw err;
          throw new CliExit(EXIT.no, `drugtrace label: ${JSON.stringify(code)}: ${error.message}`, { ok: false, input: code, error });
        }
      }

      const target = resolve(opts.out);
      const written: Array<{ file: string; codes: string[]; symbologies: string[] }> = [];
      const write = (file: string, data: string | Uint8Array, forCodes: string[], symbologies: string[]) => {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, data);
        written.push({ file, codes: forCodes, symbologies });
      };
      try {
        if (opts.format === 'sheet') {
          const symbologies = [...new Set(plans.map((p) => p.symbology))];
          const asPng = extname(target).toLowerCase() === '.png';
          const pages = asPng ? renderSheetPngs(codes, { symbology: opts.symbology, dpi }) : renderSheetSvg(codes, { symbology: opts.symbology });
          pages.forEach((page, i) => write(pagePath(target, i), page, codes.slice(i * 24, (i + 1) * 24), symbologies));
        } else {
          const many = codes.length > 1;
          plans.forEach((plan, i) => {
            const file = many ? fileFor(target, i, plan.input, opts.format) : target;
            const data = opts.format === 'png' ? renderLabelPng(plan.input, plan.symbology, scale) : renderLayoutSvg(layoutLabel(plan));
            write(file, data, [plan.input], [plan.symbology]);
          });
        }
      } catch (err) {
        if (!(err instanceof LabelError)) throw err;
        throw new CliExit(EXIT.no, `drugtrace label: ${err.message}`, { ok: false, error: { code: err.code, message: err.message } });
      }
      out.result({ ok: true, format: opts.format, count: codes.length, files: written }, () =>
        written.map((w) => `${w.file}: ${w.codes.length === 1 ? `${w.symbologies[0]} label for ${w.codes[0]}` : `${w.codes.length} labels`}`).join('\n'),
      );
    });
}
