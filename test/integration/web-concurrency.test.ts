import { execFileSync } from 'node:child_process';
import request from 'supertest';
import { freePort } from '../helpers/private-services';
import { dropDatabase, deleteQueueKeys, testEnv, type TestEnv } from '../helpers/harness';
import { MONTHLY, redeemBody } from '../helpers/api';
import { runService, type Proc } from '../helpers/processes';

/**
 * WEB_CONCURRENCY (API.md "Running past one machine"): the built service as a supervisor and its
 * API processes sharing one port (node's cluster module), each with its own connections; SIGTERM
 * drains them all. Needs `npm run build`.
 */

const envs: TestEnv[] = [];
afterAll(async () => {
  for (const e of envs) {
    await dropDatabase(e.dbName);
    await deleteQueueKeys(e.queuePrefix);
  }
});

interface LogLine { msg: string; pid?: number; path?: string; status?: number }
const lines = (p: Proc): LogLine[] => p.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const childPids = (ppid: number): number[] =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(ppid)]).toString().trim().split('\n').filter(Boolean).map(Number).sort();
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startProcs(extra: Record<string, string>): Promise<{ proc: Proc; http: ReturnType<typeof request>; env: TestEnv }> {
  const port = await freePort();
  const env = testEnv({ PORT: String(port), LOG_LEVEL: 'info', ...extra });
  envs.push(env);
  const proc = runService(env.env);
  await proc.waitFor('couponflow listening on', 90_000);
  return { proc, http: request(`http://127.0.0.1:${port}`), env };
}

test('ROLE=all, WEB_CONCURRENCY=2: two API processes answer on one port, one worker process runs the queues; SIGTERM stops all, exit 0', async () => {
  const { proc, http } = await startProcs({ ROLE: 'all', WEB_CONCURRENCY: '2' });
  try {
    // the worker process starts beside the API processes, not before them
    await proc.waitFor('couponflow worker running', 90_000);
    const log = lines(proc);
    const apiPids = log.filter((l) => l.msg === 'api process listening').map((l) => l.pid);
    const workerPids = log.filter((l) => l.msg === 'couponflow worker running').map((l) => l.pid);
    expect(new Set(apiPids).size).toBe(2);
    expect(workerPids.length).toBe(1);
    expect(childPids(proc.child.pid!)).toEqual([...apiPids, ...workerPids].sort());
    expect(log.filter((l) => l.msg.startsWith('couponflow listening on')).length).toBe(1);
    // the supervisor says it listens only after each API process has said so
    const at = (pred: (l: LogLine) => boolean) => log.map((l, i) => (pred(l) ? i : -1)).filter((i) => i >= 0);
    expect(at((l) => l.msg.startsWith('couponflow listening on'))[0]).toBeGreaterThan(Math.max(...at((l) => l.msg === 'api process listening')));

    const acct = await http.post('/v1/accounts').set('Authorization', 'Bearer dev-platform-token').send({ name: 'Procs' });
    expect(acct.status).toBe(201);
    const auth = { Authorization: `Bearer ${acct.body.apiKey}` };
    await http.put('/v1/plans/pro-monthly').set(auth).send(MONTHLY).expect(200);
    await http.post('/v1/coupons').set(auth).send({ name: 'P', code: 'PROCS', discount: { type: 'percentage', basisPoints: 1000 } }).expect(201);
    // each request on a new connection: the connections are handed to the processes in turn
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push((await http.post('/v1/redemptions').set(auth).send(redeemBody('PROCS', { subscriptionId: `p${i}`, customer: { id: `c${i}` } }))).status);
    expect(answers).toEqual([201, 201, 201, 201, 201, 201]);
    const served = new Set(lines(proc).filter((l) => l.msg === 'request' && l.path === '/v1/redemptions').map((l) => l.pid));
    expect([...served].sort()).toEqual([...apiPids].sort());

    const all = childPids(proc.child.pid!);
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(all.filter(alive)).toEqual([]);
    expect(lines(proc).filter((l) => l.msg === 'stopped').length).toBe(1 + 3);
  } finally {
    await proc.stop();
  }
}, 120_000);

test('SIGTERM with a request in flight: it is answered before its process stops', async () => {
  // ROLE=api and no worker anywhere: a synchronous redemption waits JOB_WAIT_TIMEOUT_MS, then 202
  const { proc, http } = await startProcs({ ROLE: 'api', WEB_CONCURRENCY: '2', JOB_WAIT_TIMEOUT_MS: '2000' });
  try {
    const acct = await http.post('/v1/accounts').set('Authorization', 'Bearer dev-platform-token').send({ name: 'Drain' });
    const auth = { Authorization: `Bearer ${acct.body.apiKey}` };
    const inFlight = http.post('/v1/redemptions').set(auth).send(redeemBody('ANY', { subscriptionId: 'drain' })).then((r) => r);
    await new Promise((r) => setTimeout(r, 500));
    proc.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(202);
    expect(await proc.exited).toBe(0);
  } finally {
    await proc.stop();
  }
}, 120_000);
