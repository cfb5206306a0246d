import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild } from '../../src/stop-child';

export const MAIN = path.join(__dirname, '../../dist/src/main.js');

export interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  out(): string;
  err(): string;
  /** Resolves once stdout contains the text. */
  waitFor(text: string, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the built service (`npm run build` first) as a separate process. */
export function runService(env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    out: () => out,
    err: () => err,
    async waitFor(text, ms = 20_000) {
      const end = Date.now() + ms;
      while (!out.includes(text)) {
        if (Date.now() > end) throw new Error(`timed out waiting for "${text}"; stdout: ${out} stderr: ${err}`);
        if (child.exitCode !== null) throw new Error(`process exited ${child.exitCode}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => stopChild(child, 15_000),
  };
}
