/** The demo chain built once per test file in a temporary folder, opened read-write. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../../ledger/ledger.ts';
import { runDemo, type DemoResult } from '../../../trace/demo.ts';

export interface DemoFixture {
  dir: string;
  file: string;
  demo: DemoResult;
  ledger: Ledger;
  close(): void;
}

export function demoFixture(): DemoFixture {
  const dir = mkdtempSync(join(tmpdir(), 'drugtrace-queries-'));
  const file = join(dir, 'demo.db');
  const demo = runDemo(file);
  const ledger = Ledger.open(file);
  return {
    dir,
    file,
    demo,
    ledger,
    close() {
      ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
