/**
 * `drugtrace serve --port 0 --json` as a real process, for tests of the command itself: waits for
 * its one JSON line and returns it with a way to stop the process (SIGTERM) and see how it ended.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/drugtrace.js', import.meta.url));

export interface ServeProcess {
  /** The JSON document serve printed once listening (url, docs, adminToken if issued, …). */
  started: Record<string, string>;
  stop(): Promise<{ code: number | null; stderr: string }>;
}

export function startServe(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!stdout.includes('\n')) return;
      resolve({
        started: JSON.parse(stdout.split('\n')[0]!),
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    exited.then(({ code }) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
}
