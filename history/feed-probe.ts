import { Client as PgClient } from 'pg';
import type { Client } from './http';
import type { FeedProbe } from './model';
import { canonical } from './canonical';
import { PROBE_CODE, PROBE_CUSTOMER, type Recorder, type Setup, record } from './workload';
import { sleep } from './services';

/** Redemptions left waiting at once per round (one per key), within both workers' redemption concurrency. */
const PROBE_KEYS = 8;
const ROUNDS = 2;
const HOLD_MS = 2500;

/**
 * Tests that the events feed is held back only by event-writing transactions (API.md "Exactness
 * at the seams"), on a settled system. A session of the run holds the row of the probe customer,
 * so redemptions with idempotency keys for that customer wait inside their transactions, holding
 * whatever locks they took before it (their keys' included). They are refused in the end (the
 * probe code is disabled), so they write no event. Meanwhile coupon edits commit events: the feed
 * must show them while the redemptions still wait.
 */
export async function probeFeed(client: Client, rec: Recorder, setup: Setup, databaseUrl: string, log: (s: string) => void): Promise<FeedProbe[]> {
  const rounds: FeedProbe[] = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push(await probeRound(client, rec, setup, databaseUrl, round, log));
  return rounds;
}

async function probeRound(client: Client, rec: Recorder, setup: Setup, databaseUrl: string, round: number, log: (s: string) => void): Promise<FeedProbe> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  const now = () => Date.now() - rec.t0;
  try {
    await db.query('begin');
    await db.query('select 1 from customers where account_id = $1 and id = $2 for update', [setup.accountId, PROBE_CUSTOMER]);
    const holdStart = now();
    await Promise.all(Array.from({ length: PROBE_KEYS }, (_, i) => {
      const body = { code: PROBE_CODE, customer: { id: PROBE_CUSTOMER }, subscriptionId: `hs-probe-${round}-${i}`, planId: 'hp-monthly', idempotencyKey: `hk-probe-${round}-${i}` };
      const { idempotencyKey: _k, ...rest } = body;
      return record(client, rec, setup.token, 'redeem', 'POST', '/v1/redemptions', body, {
        key: body.idempotencyKey, bodyKey: canonical(rest), valid: true, async: true, code: PROBE_CODE,
        couponId: setup.codeCoupon[PROBE_CODE], customerId: PROBE_CUSTOMER, subscriptionId: body.subscriptionId,
      }, { Prefer: 'respond-async' });
    }));
    // wait until the redemptions are waiting for the held row
    let waiting = 0;
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      const { rows } = await db.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
      waiting = rows[0].n;
      if (waiting >= PROBE_KEYS) break;
      await sleep(100);
    }
    const patchOps: number[] = [];
    for (let i = 0; i < 3; i++) {
      const couponId = setup.coupons.C;
      const op = await record(client, rec, setup.token, 'patch-coupon', 'PATCH', `/v1/coupons/${couponId}`, { discount: { type: 'percentage', basisPoints: 600 + round * 300 + i * 100 } }, { couponId, fields: ['discount'] });
      patchOps.push(op.id);
    }
    const patchesEnd = now();
    await sleep(HOLD_MS);
    const { rows } = await db.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`);
    const release = now();
    await db.query('commit');
    log(`feed probe ${round + 1}: ${waiting} redemptions waited on the held customer row (${rows[0].n} still at release)`);
    return { holdStart, patchesEnd, release, waiting: Math.min(waiting, rows[0].n), patchOps };
  } finally {
    await db.query('rollback').catch(() => undefined);
    await db.end();
  }
}
