import { randomBytes } from 'node:crypto';
import { from as copyFrom } from 'pg-copy-streams';
import { api, type BenchEnv } from './env';
import { fmt, type Row } from './table';

const COUNT = Number(process.env.BENCH_BATCH_COUNT ?? 1_000_000);
const CHARSET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/**
 * COPY of `n` random 12-character codes into a table made like `codes` (same columns, defaults,
 * identity, indexes and the same three foreign keys); answers ms.
 */
async function rawCopy(env: BenchEnv, accountId: string, couponId: string, n: number): Promise<number> {
  await env.pool.query(`create table raw_codes (like codes including all)`);
  await env.pool.query(`alter table raw_codes
    add foreign key (account_id) references accounts(id) on delete cascade,
    add foreign key (coupon_id) references coupons(id) on delete cascade,
    add foreign key (batch_id) references batches(id) on delete cascade`);
  const client = await env.pool.connect();
  try {
    const started = performance.now();
    const stream = client.query(copyFrom(`copy raw_codes (account_id, coupon_id, code, max_redemptions) from stdin`));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', () => resolve());
      stream.on('error', reject);
    });
    const prefix = `${accountId}\t${couponId}\t`;
    const chunk = 10_000;
    for (let i = 0; i < n; i += chunk) {
      const bytes = randomBytes(Math.min(chunk, n - i) * 12);
      let text = '';
      for (let j = 0; j < bytes.length; j += 12) {
        let code = '';
        for (let k = 0; k < 12; k++) code += CHARSET[bytes[j + k] % CHARSET.length];
        text += `${prefix}${code}\t1\n`;
      }
      if (!stream.write(text)) await new Promise((r) => stream.once('drain', r));
    }
    stream.end();
    await done;
    return performance.now() - started;
  } finally {
    client.release();
    await env.pool.query(`drop table raw_codes`);
  }
}

/** POST a batch of `count` codes and poll until it completed; answers ms and the distinct codes written. */
async function runBatch(env: BenchEnv, key: string, couponId: string, count: number): Promise<{ ms: number; unique: number }> {
  const started = performance.now();
  const res = await api(env, key, 'POST', `/v1/coupons/${couponId}/batches`, { count, length: 12 });
  if (res.status !== 202) throw new Error(`batch: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.batch.id as string;
  let batch: { status: string; generated: number } = res.body.batch;
  while (batch.status !== 'completed') {
    if (batch.status === 'failed') throw new Error(`batch failed: ${JSON.stringify(batch)}`);
    await new Promise((r) => setTimeout(r, 100));
    batch = (await api(env, key, 'GET', `/v1/batches/${id}`)).body;
  }
  const ms = performance.now() - started;
  const unique = Number((await env.pool.query(`select count(distinct code) as n from codes where batch_id = $1`, [id])).rows[0].n);
  if (unique !== count) throw new Error(`BATCH BROKEN: ${unique} distinct codes, expected ${count}`);
  return { ms, unique };
}

const newCoupon = async (env: BenchEnv, key: string, name: string) =>
  (await api(env, key, 'POST', '/v1/coupons', { name, discount: { type: 'percentage', basisPoints: 1000 }, duration: { type: 'forever' } })).body.id as string;

export interface BatchOutcome {
  rows: Row[];
  accountId: string;
  apiKey: string;
  couponId: string;
}

/**
 * Row 1: a million codes from POST to completed, against a raw COPY into an identically indexed
 * table. Row 11: the time per code of a batch a tenth that size, run first, against the big one's.
 */
export async function benchBatch(env: BenchEnv): Promise<BatchOutcome> {
  const acct = await env.account();
  const small = Math.round(COUNT / 10);
  const smallRun = await runBatch(env, acct.apiKey, await newCoupon(env, acct.apiKey, 'bench batch small'), small);
  const couponId = await newCoupon(env, acct.apiKey, 'bench batch');
  const rssBefore = Math.max(...env.workers.map((w) => w.peakRss()));
  const { ms: ours, unique } = await runBatch(env, acct.apiKey, couponId, COUNT);
  const peak = Math.max(...env.workers.map((w) => w.peakRss()));
  const raw = await rawCopy(env, acct.id, couponId, COUNT);
  const ratio = raw / ours;
  const perSmall = smallRun.ms / small;
  const perBig = ours / COUNT;
  const growth = perBig / perSmall;
  const us = (v: number) => `${(v * 1000).toFixed(1)} µs/code`;
  return {
    accountId: acct.id,
    apiKey: acct.apiKey,
    couponId,
    rows: [{
      row: 1, name: `Batch: ${COUNT.toLocaleString('en-US')} codes, POST → completed`,
      ours: `${fmt.s(ours)}, worker peak RSS ${fmt.mb(peak)}`, raw: `${fmt.s(raw)} (COPY, same indexes)`,
      ratio, target: 'ratio ≥ 0.77, RSS < 300 MB', met: ratio >= 0.77 && peak < 300 * 1024 * 1024,
      details: { oursMs: ours, rawMs: raw, peakRssBytes: peak, rssBeforeBytes: rssBefore, unique },
    }, {
      row: 11, name: `Batch growth: time per code, ${small.toLocaleString('en-US')} vs ${COUNT.toLocaleString('en-US')} codes`,
      ours: `${us(perSmall)} vs ${us(perBig)} (${fmt.s(smallRun.ms)} and ${fmt.s(ours)})`, raw: '—',
      ratio: perSmall / perBig, target: 'within 20 %', met: Math.max(growth, 1 / growth) <= 1.2,
      details: { smallCount: small, smallMs: smallRun.ms, bigCount: COUNT, bigMs: ours, perCodeSmallMs: perSmall, perCodeBigMs: perBig },
    }],
  };
}
