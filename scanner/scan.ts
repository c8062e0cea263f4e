// Image -> every symbol -> identifier or typed error. Browser-safe.
import { decodeImage, type DecodeOptions, type DecodedSymbol, type ImageInput } from './decode.ts';
import { errorInfo, identifySymbol, isIdentifyError, type Identifier } from './identify.ts';

export type ScannedSymbol = DecodedSymbol &
  ({ ok: true; identifier: Identifier } | { ok: false; error: { code: string; message: string; [k: string]: unknown } });

/** Decodes every symbol in the image and identifies each; a bad symbol is reported, not thrown. */
export async function scanImage(input: ImageInput, opts: DecodeOptions = {}): Promise<ScannedSymbol[]> {
  const symbols = await decodeImage(input, opts);
  return symbols.map((s): ScannedSymbol => {
    try {
      return { ...s, ok: true, identifier: identifySymbol(s) };
    } catch (err) {
      if (!isIdentifyError(err)) throw err;
      return { ...s, ok: false, error: errorInfo(err) };
    }
  });
}
