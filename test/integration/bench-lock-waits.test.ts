import { Client } from 'pg';
import { sampleLockWaits } from '../../bench/lock-waits';
import { ensureDatabase } from '../../src/db/orm';
import { dropDatabase, testEnv, testPool } from '../helpers/harness';
import { holdLock, untilWaitingOnLock } from '../helpers/locks';

const env = testEnv();
const pool = testPool(env.databaseUrl, 3);

beforeAll(async () => {
  await ensureDatabase(env.databaseUrl);
  await pool.query('create table hot (id int primary key, n int not null)');
  await pool.query('insert into hot values (1, 0)');
});
afterAll(async () => {
  await pool.end();
  await dropDatabase(env.dbName);
});

describe('the bench lock-wait sampler (row 17)', () => {
  test('counts a backend waiting on a row another transaction holds, by wait event and statement; none once it is released', async () => {
    const held = await holdLock(env.databaseUrl, 'update hot set n = n + 1 where id = 1');
    const waiter = new Client({ connectionString: env.databaseUrl });
    await waiter.connect();
    const queued = waiter.query('update hot   set n = n + 1\n where id = 1');
    await untilWaitingOnLock(env.databaseUrl);
    // the sampler takes its first sample as it starts, so a stop at once still saw one
    const during = await (await sampleLockWaits(pool, 5)).stop();
    await held.commit();
    await queued;
    await waiter.end();
    expect(during.samples).toBe(1);
    // every sample saw the one waiter, and the waiter only: the sampler leaves its own backend out
    expect(during.meanWaiting).toBe(1);
    expect(during.shareWithWaiter).toBe(1);
    expect(during.byEvent).toEqual({ transactionid: during.samples });
    expect(during.byStatement).toEqual({ 'update hot set n = n + 1 where id = 1': during.samples });
    const after = await (await sampleLockWaits(pool, 5)).stop();
    expect([after.samples, after.meanWaiting, after.shareWithWaiter, after.byEvent, after.byStatement]).toEqual([1, 0, 0, {}, {}]);
    expect((await pool.query('select n from hot where id = 1')).rows[0].n).toBe(2);
  });
});
