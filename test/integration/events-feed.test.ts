import type { Pool } from 'pg';
import { startTestApp, testPool, type TestApp } from '../helpers/harness';

let t: TestApp;
let pool: Pool;

beforeAll(async () => {
  t = await startTestApp({ WEBHOOK_RELAY_EVERY_MS: '60000' });
  pool = testPool(t.env.databaseUrl, 16);
});
afterAll(async () => {
  await pool?.end();
  await t?.close();
});

describe('GET /v1/events never skips', () => {
  test('300 concurrent writers committing out of id order: a poller sees every committed id once, in order', async () => {
    const a = await t.createAccount();
    const committed: number[] = [];
    // writers start a few ms apart, draw an id, then hold the transaction open up to 150 ms, so commits come
    // out of id order while the poller reads (a feed reading `id > after` alone misses dozens here)
    const writer = async (i: number) => {
      await new Promise((r) => setTimeout(r, i * 8));
      const c = await pool.connect();
      try {
        await c.query('begin');
        if (i % 3 === 0) await c.query('select pg_sleep($1)', [((i * 7) % 11) / 1000]);
        const { rows } = await c.query(`insert into events (account_id, type, data) values ($1, 'coupon.updated', $2) returning id`, [a.id, { writer: i }]);
        await c.query('select pg_sleep($1)', [((i * 37) % 150) / 1000]);
        if (i % 10 === 9) await c.query('rollback');
        else {
          await c.query('commit');
          committed.push(Number(rows[0].id));
        }
      } finally {
        c.release();
      }
    };
    // writers through the API too (coupon creation writes its event in its own transaction)
    const apiWriter = async (i: number) => {
      await new Promise((r) => setTimeout(r, i * 70));
      const res = await t.http.post('/v1/coupons').set(a.auth).send({ name: `c-${Math.random().toString(36).slice(2)}`, discount: { type: 'none' } });
      expect(res.status).toBe(201);
    };
    const seen: number[] = [];
    let last = 0;
    let writing = true;
    const poll = async () => {
      const res = await t.http.get(`/v1/events?after=${last}&limit=50`).set(a.auth);
      expect(res.status).toBe(200);
      for (const e of res.body.data) {
        const id = Number(e.id);
        expect(id).toBeGreaterThan(last);
        seen.push(id);
        last = id;
      }
      return res.body.data.length;
    };
    const poller = (async () => {
      while (writing) await poll();
      while ((await poll()) > 0);
    })();
    await Promise.all([...Array.from({ length: 270 }, (_, i) => writer(i)), ...Array.from({ length: 30 }, (_, i) => apiWriter(i))]);
    writing = false;
    await poller;
    const { rows } = await pool.query('select id from events where account_id = $1 order by id', [a.id]);
    const all = rows.map((r) => Number(r.id));
    expect(all).toHaveLength(243 + 30);
    expect(committed.every((id) => all.includes(id))).toBe(true);
    expect(seen).toEqual(all);
  });

  test('an event is held back while a transaction that drew a lower id is open, and served once it ends', async () => {
    const a = await t.createAccount();
    const early = await pool.connect();
    try {
      await early.query('begin');
      const low = Number((await early.query(`insert into events (account_id, type, data) values ($1, 'coupon.updated', '{}') returning id`, [a.id])).rows[0].id);
      const high = Number((await pool.query(`insert into events (account_id, type, data) values ($1, 'coupon.updated', '{}') returning id`, [a.id])).rows[0].id);
      expect(high).toBeGreaterThan(low);
      expect((await t.http.get('/v1/events').set(a.auth)).body.data).toEqual([]);
      await early.query('commit');
      expect((await t.http.get('/v1/events').set(a.auth)).body.data.map((e: any) => Number(e.id))).toEqual([low, high]);
    } finally {
      early.release();
    }
  });
});
