import { spawn } from 'node:child_process';

/**
 * Runs the writer script `child` (through tsx) in its own Node process with `args`; resolves with
 * its stdout lines once it exits 0, rejects with its stderr otherwise.
 */
export function runWriter(child: string, args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}
