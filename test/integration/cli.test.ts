import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';
import { batchCodes, insertCoupon, sql } from '../helpers/batch-fixtures';

const BIN = path.join(__dirname, '../../bin/couponflow.js');

let t: TestApp;
let acct: TestAccount;
let dir: string;

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
  dir = await mkdtemp(path.join(tmpdir(), 'couponflow-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.close();
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', COUPONFLOW_API_KEY: acct.apiKey, COUPONFLOW_POLL_MS: '100', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('couponflow batch generates a batch, shows progress and downloads its CSV', async () => {
  const couponId = await insertCoupon(t, acct.id);
  const out = path.join(dir, 'codes.csv');
  const run = await cli(['batch', '--coupon', couponId, '--count', '20000', '--prefix', 'cli-', '--length', '8', '--out', out, '--url', t.running.url!]);
  expect(run.stderr).not.toMatch(/couponflow:/);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^batch [0-9a-f-]{36} queued: 20,000 codes\n/);
  expect(run.stderr).toMatch(/generating \[#{30}\] 100% 20,000\/20,000 codes completed\n/);
  expect(run.stderr).toMatch(/wrote 20,000 codes to .*codes\.csv\n$/);

  const [batch] = await sql(t, `select id from batches where coupon_id = ?`, [couponId]);
  const codes = await batchCodes(t, batch!.id as string);
  const lines = (await readFile(out, 'utf8')).split('\n');
  expect(lines.pop()).toBe('');
  expect(lines[0]).toBe('code,max_redemptions,expires_at,status');
  expect(lines.slice(1)).toEqual(codes.map((c) => `${c},1,,active`));
  expect(codes.every((c) => /^CLI-[A-HJ-NP-Z2-9]{8}$/.test(c))).toBe(true);
  await expect(stat(`${out}.part`)).rejects.toThrow();
}, 120_000);

test('the API’s refusal is shown and the exit code is 1; no file is written', async () => {
  const archived = await insertCoupon(t, acct.id, { state: 'archived' });
  const out = path.join(dir, 'never.csv');
  const run = await cli(['batch', '--coupon', archived, '--count', '10', '--out', out], { COUPONFLOW_URL: t.running.url! });
  expect(run.code).toBe(1);
  expect(run.stderr).toBe('couponflow: the coupon is archived; no codes can be added to it (409 conflict)\n');
  await expect(stat(out)).rejects.toThrow();

  const tooSmall = await cli(['batch', '--coupon', await insertCoupon(t, acct.id), '--count', '3000', '--length', '3', '--out', out, '--url', t.running.url!]);
  expect(tooSmall.code).toBe(1);
  expect(tooSmall.stderr).toMatch(/^couponflow: the random space \(29791 codes\) is under 10 × .* \(422 keyspace_too_small\)\n$/);
});

test('bad usage exits 2 with the usage text', async () => {
  const noKey = await cli(['batch', '--coupon', 'x', '--count', '5', '--out', 'x.csv'], { COUPONFLOW_API_KEY: '' });
  expect(noKey.code).toBe(2);
  expect(noKey.stderr).toMatch(/^couponflow: set COUPONFLOW_API_KEY to the account API key\n\nusage: couponflow batch/);
  const both = await cli(['batch', '--coupon', 'x', '--count', '5', '--length', '4', '--pattern', '##', '--out', 'x.csv']);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/^couponflow: give --length or --pattern, not both\n/);
  const count = await cli(['batch', '--coupon', 'x', '--count', 'many', '--out', 'x.csv']);
  expect(count.stderr).toMatch(/^couponflow: --count must be a whole number, got "many"\n/);
  const down = await cli(['batch', '--coupon', 'x', '--count', '5', '--out', path.join(dir, 'x.csv'), '--url', 'http://127.0.0.1:1']);
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/^couponflow: cannot reach http:\/\/127\.0\.0\.1:1: /);
});
