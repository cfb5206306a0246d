import IORedis, { type Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections. Workers and QueueEvents block, so they need maxRetriesPerRequest: null.
 * Producers fail fast: no offline queue, so an add while Redis is down rejects at once.
 */
export function createRedis(url: string, kind: 'blocking' | 'producer'): Redis {
  const opts: RedisOptions =
    kind === 'blocking'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
  return new IORedis(url, { ...opts, lazyConnect: false });
}
