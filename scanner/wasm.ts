// Where the zxing-wasm reader binary comes from. zxing-wasm fetches it from a CDN unless told
// otherwise; DrugTrace never lets it: Node reads the installed file (scanner/node.ts), a browser
// bundle passes the URL our server serves it at. Browser-safe: no node: imports.
import { prepareZXingModule } from 'zxing-wasm/reader';
import { ScanError } from './errors.ts';

/** A URL to fetch the .wasm from, its bytes, or a function producing the bytes on first use. */
export type WasmSource = string | URL | ArrayBuffer | Uint8Array | (() => Promise<ArrayBuffer | Uint8Array>);

const WASM_NAME = 'zxing_reader.wasm';

let source: WasmSource | undefined;
let ready: Promise<void> | undefined;

/** Tells the scanner where the reader .wasm is. Call once before decoding; a later call replaces it. */
export function configureWasm(next: WasmSource): void {
  source = next;
  ready = undefined;
}

export function isWasmConfigured(): boolean {
  return source !== undefined;
}

function toArrayBuffer(bytes: ArrayBuffer | Uint8Array): ArrayBuffer {
  if (bytes instanceof ArrayBuffer) return bytes;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function prepare(src: WasmSource): Promise<void> {
  if (typeof src === 'string' || src instanceof URL) {
    const url = String(src);
    // Only the .wasm is located this way; everything else keeps the default prefix.
    prepareZXingModule({
      overrides: { locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? url : prefix + path) },
      fireImmediately: false,
    });
    return;
  }
  const bytes = typeof src === 'function' ? await src() : src;
  prepareZXingModule({
    overrides: {
      wasmBinary: toArrayBuffer(bytes),
      // With wasmBinary set the file is never fetched; the name keeps any lookup away from the CDN.
      locateFile: (path: string) => path,
    },
    fireImmediately: false,
  });
}

/** Resolves once the decoder knows where its .wasm is; throws SCAN_WASM_UNAVAILABLE otherwise. */
export function ensureWasm(): Promise<void> {
  if (!source) {
    return Promise.reject(
      new ScanError(
        'SCAN_WASM_UNAVAILABLE',
        `the barcode decoder's ${WASM_NAME} is not configured: import scanner/node.ts in Node, or call configureWasm(url) in a browser`,
      ),
    );
  }
  ready ??= prepare(source).catch((cause) => {
    ready = undefined;
    throw new ScanError('SCAN_WASM_UNAVAILABLE', `cannot load ${WASM_NAME}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  });
  return ready;
}
