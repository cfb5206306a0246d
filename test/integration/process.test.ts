import { spawn } from 'node:child_process';
import path from 'node:path';
import { dropDatabase, deleteQueueKeys, testEnv } from '../helpers/harness';

const MAIN = path.join(__dirname, '../../dist/src/main.js');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a bad configuration value stops the process with one line naming the variable', async () => {
  const p = run({ PORT: 'abc' });
  expect(await p.exited).toBe(1);
  expect(p.err().trim().split('\n')).toEqual(['couponflow: invalid configuration: PORT: must be a whole number, got "abc"']);
});

test('starts, logs one start-up line, serves /readyz, and drains on SIGTERM with exit 0', async () => {
  const e = testEnv();
  const p = run({ ...e.env, PORT: '0', LOG_LEVEL: 'info' });
  try {
    await until(() => p.out().includes('listening'), 20_000);
    const lines = p.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', roles: ['api', 'worker'] });
    const port = lines[0].port as number;
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  } finally {
    p.child.kill('SIGKILL');
    await dropDatabase(e.dbName);
    await deleteQueueKeys(e.queuePrefix);
  }
});

test('a worker process listens on no port', async () => {
  const e = testEnv();
  const p = run({ ...e.env, ROLE: 'worker', LOG_LEVEL: 'info' });
  try {
    await until(() => p.out().includes('running'), 20_000);
    const line = JSON.parse(p.out().trim().split('\n')[0]);
    expect(line).toMatchObject({ roles: ['worker'], port: null });
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  } finally {
    p.child.kill('SIGKILL');
    await dropDatabase(e.dbName);
    await deleteQueueKeys(e.queuePrefix);
  }
});
