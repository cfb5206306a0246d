import IORedis, { type Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. Workers and QueueEvents block, so they need maxRetriesPerRequest: null.
 * Producers fail fast: no offline queue, so an add while Redis is down rejects at once.
 */
export function createRedis(url: string, kind: 'blocking' | 'producer', pipelining: { autoPipelining?: boolean } = {}): Redis {
  const opts: RedisOptions =
    kind === 'blocking'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, enableAutoPipelining: pipelining.autoPipelining ?? false };
  return new IORedis(url, { ...opts, lazyConnect: false });
}

/** Deletes every key under a BullMQ prefix (tests and benchmarks remove the queues they made). */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
