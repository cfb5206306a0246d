import { PrivatePostgres } from '../helpers/private-services';
import { createOrm, ensureDatabase, type Orm } from '../../src/db/orm';
import { pgPool } from '../../src/db/pg-client';
import { withPipeline } from '../../src/db/pipeline';

/**
 * Transactions under way when PostgreSQL goes down must not keep their pooled connections: once
 * the server is back, the pool serves again (a private server, stopped with `-m immediate`).
 */
let pg: PrivatePostgres;
let orm: Orm;

beforeAll(async () => {
  pg = await PrivatePostgres.create();
  const url = pg.url('pool_recovery');
  await ensureDatabase(url);
  orm = await createOrm({ databaseUrl: url, poolMax: 4 });
}, 60_000);
afterAll(async () => {
  await orm?.close(true);
  await pg?.destroy();
});

const transaction = () => orm.em.fork().transactional(async (em) => { await em.execute('select 1'); });

test('after an outage that cut every pooled connection mid-transaction, the pool serves again at once', async () => {
  const pool = await pgPool(orm);
  const stats = () => ({ total: pool.totalCount, idle: pool.idleCount });
  // four connections in the pool, then four transactions that begin on them as the server dies
  await Promise.all([1, 2, 3, 4].map(() => orm.em.fork().transactional(async (em) => { await em.execute('select pg_sleep(0.05)'); })));
  expect(stats()).toEqual({ total: 4, idle: 4 });
  await pg.stop();
  const during = await Promise.allSettled([1, 2, 3, 4].map(transaction));
  expect(during.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  // a pipelined unit of work cut the same way gives its client back too
  await expect(withPipeline(orm, (p) => p.flight(['begin', 'select 1', 'commit']))).rejects.toThrow();
  expect(stats()).toEqual({ total: 0, idle: 0 });
  await pg.start();
  const after = await Promise.allSettled([1, 2, 3, 4].map(transaction));
  expect(after.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  expect(stats().total).toBeGreaterThan(0);
}, 60_000);

test('a client released twice (by its holder after the pool took it back) is released once', async () => {
  const pool = await pgPool(orm);
  const client = await pool.connect();
  client.release();
  expect(() => client.release()).not.toThrow();
  expect(pool.idleCount).toBeGreaterThan(0);
});
