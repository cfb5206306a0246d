import type { ChildProcess } from 'node:child_process';

/**
 * Asks a child process to stop (`signal`, SIGTERM unless told) and kills it (SIGKILL) if it has
 * not exited `graceMs` later; resolves once it has exited. A process that already exited is left
 * as it is.
 */
export async function stopChild(child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
