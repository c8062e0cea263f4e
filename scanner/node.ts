// The scanner for Node: everything in index.ts, with the reader .wasm read from the installed
// zxing-wasm package (no network). Import this module, not index.ts, from the CLI and server.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { configureWasm, isWasmConfigured } from './wasm.ts';

/** Absolute path of the reader .wasm inside node_modules/zxing-wasm. */
export function installedWasmPath(): string {
  return createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
}

if (!isWasmConfigured()) configureWasm(async () => new Uint8Array(await readFile(installedWasmPath())));

export * from './index.ts';
