import IORedis from 'ioredis';
import { GuessLimiter } from '../../src/rate-limit';
import { deleteQueueKeys, REDIS_URL } from '../helpers/harness';

/** The guessing defence's counters in Redis: a queued attempt counts once per job, however often the job runs. */
const prefix = `cf_guess_${process.pid}_${Date.now().toString(36)}`;
let redis: IORedis;
let limiter: GuessLimiter;

beforeAll(() => {
  redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: 1 });
  limiter = new GuessLimiter(redis, prefix, { windowSeconds: 600, perCustomer: 3, perKey: 1000 });
});
afterAll(async () => {
  await deleteQueueKeys(prefix);
  redis.disconnect();
});

const count = async (key: string) => Number(await redis.get(`${prefix}:guess:${key}`));

test('one job run three times (retries) counts its unknown-code attempt once, for the customer and the key', async () => {
  for (let run = 0; run < 3; run++) await limiter.recordUnknownCodeOnce('red-job-1', 'acct-1', 'cus-1', 'key-1');
  expect({ customer: await count('c:acct-1:cus-1'), key: await count('k:key-1') }).toEqual({ customer: 1, key: 1 });
  await limiter.recordUnknownCodeOnce('red-job-2', 'acct-1', 'cus-1', 'key-1');
  expect({ customer: await count('c:acct-1:cus-1'), key: await count('k:key-1') }).toEqual({ customer: 2, key: 2 });
});

test('the per-job mark lasts one window, and the counters still throttle at the threshold', async () => {
  await limiter.recordUnknownCodeOnce('red-job-3', 'acct-1', 'cus-2', null);
  const ttl = await redis.ttl(`${prefix}:guess:job:red-job-3`);
  expect(ttl).toBeGreaterThan(590);
  expect(ttl).toBeLessThanOrEqual(600);
  await limiter.recordUnknownCodeOnce('red-job-4', 'acct-1', 'cus-2', null);
  expect((await limiter.customerThrottle('acct-1', 'cus-2')).limited).toBe(false);
  await limiter.recordUnknownCodeOnce('red-job-5', 'acct-1', 'cus-2', null);
  const throttle = await limiter.customerThrottle('acct-1', 'cus-2');
  expect(throttle.limited).toBe(true);
  expect(throttle.retryAfterSeconds).toBeGreaterThan(590);
});

test('without a job id every call counts (validate has no job)', async () => {
  await limiter.recordUnknownCodeOnce(null, 'acct-1', 'cus-3', null);
  await limiter.recordUnknownCodeOnce(null, 'acct-1', 'cus-3', null);
  expect(await count('c:acct-1:cus-3')).toBe(2);
});
