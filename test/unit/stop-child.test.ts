import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { stopChild } from '../../src/stop-child';

/** A node process that prints "ready" once its SIGTERM handling is in place, then idles. */
async function idleChild(ignoreSigterm: boolean): Promise<ChildProcess> {
  const code = `${ignoreSigterm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('ready');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

describe('stopChild', () => {
  afterEach(() => jest.useRealTimers());

  test('a process that exits on SIGTERM ends by it, without the SIGKILL', async () => {
    const child = await idleChild(false);
    await stopChild(child, 60_000);
    expect(child.signalCode).toBe('SIGTERM');
  });

  test('a process that ignores SIGTERM is killed once the grace has passed, not before', async () => {
    const child = await idleChild(true);
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    let stopped = false;
    const stopping = stopChild(child, 5_000).then(() => (stopped = true));
    jest.advanceTimersByTime(4_999);
    expect(child.signalCode).toBeNull();
    expect(stopped).toBe(false);
    jest.advanceTimersByTime(1);
    await stopping;
    expect(child.signalCode).toBe('SIGKILL');
  });

  test('a process that already exited is left as it is', async () => {
    const child = await idleChild(false);
    child.kill('SIGINT');
    await once(child, 'exit');
    await stopChild(child, 5_000);
    expect(child.signalCode).toBe('SIGINT');
  });
});
