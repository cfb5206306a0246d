import IORedis, { Cluster, type Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections, to one server or to a Redis Cluster (`REDIS_CLUSTER=true`, `REDIS_URL`
 * listing one or more of its nodes, comma-separated). Workers and QueueEvents block, so they need
 * maxRetriesPerRequest: null. Producers fail fast: no offline queue, so an add while Redis is
 * down rejects at once.
 */
export type RedisConnection = Redis | Cluster;

export interface RedisTarget {
  /** One URL, or (cluster) several comma-separated node URLs. */
  url: string;
  cluster: boolean;
}

function optionsFor(kind: 'blocking' | 'producer', autoPipelining: boolean): RedisOptions {
  return kind === 'blocking'
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, enableAutoPipelining: autoPipelining };
}

/** The nodes a cluster `REDIS_URL` lists, and the options (user, password, TLS) of its first URL. */
export function clusterNodes(url: string): { nodes: { host: string; port: number }[]; options: RedisOptions } {
  const urls = url.split(',').map((u) => new URL(u.trim()));
  const first = urls[0];
  const options: RedisOptions = {};
  if (first.username) options.username = decodeURIComponent(first.username);
  if (first.password) options.password = decodeURIComponent(first.password);
  if (first.protocol === 'rediss:') options.tls = {};
  return { nodes: urls.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })), options };
}

function createCluster(url: string, redisOptions: RedisOptions): Cluster {
  const { nodes, options } = clusterNodes(url);
  const { enableOfflineQueue, enableAutoPipelining, ...perNode } = redisOptions;
  return new Cluster(nodes, {
    redisOptions: { ...options, ...perNode },
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableAutoPipelining: enableAutoPipelining ?? false,
    enableReadyCheck: true,
    // a command meeting a failover (MOVED, TRYAGAIN, CLUSTERDOWN) is retried shortly, and a
    // connection that broke makes the client reload the slot map from the nodes left
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2000,
  });
}

export function createRedis(target: string | RedisTarget, kind: 'blocking' | 'producer', pipelining: { autoPipelining?: boolean } = {}): RedisConnection {
  const t = typeof target === 'string' ? { url: target, cluster: false } : target;
  const opts = optionsFor(kind, pipelining.autoPipelining ?? false);
  if (t.cluster) return createCluster(t.url, opts);
  return new IORedis(t.url, { ...opts, lazyConnect: false });
}

/** Another connection to the same server or cluster, for a blocking reader (a worker, QueueEvents). */
export function duplicateBlocking(connection: RedisConnection): RedisConnection {
  if (connection instanceof Cluster) {
    return connection.duplicate([], {
      redisOptions: { ...connection.options.redisOptions, maxRetriesPerRequest: null },
      enableOfflineQueue: true,
      enableAutoPipelining: false,
    });
  }
  return connection.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, enableAutoPipelining: false });
}

/**
 * The BullMQ prefix of one queue. On a single Redis, `QUEUE_PREFIX` itself (the key names of
 * earlier versions, so a deployment keeps its queues). On a cluster, `{QUEUE_PREFIX:queue}`: every
 * key of a queue carries the same hash tag, so BullMQ's multi-key scripts (and the admission
 * script) find them in one slot, and different queues may live on different masters.
 */
export function queuePrefix(prefix: string, cluster: boolean, queue: string): string {
  return cluster ? `{${prefix}:${queue}}` : prefix;
}

/**
 * A key group that one script uses together (say, one account's guessing counters). On a cluster
 * the group is a hash tag, `{prefix:group…}`, so its keys share a slot; on a single Redis the
 * plain `prefix:group…` of earlier versions.
 */
export function keyGroup(prefix: string, cluster: boolean, ...group: string[]): string {
  const name = [prefix, ...group].join(':');
  return cluster ? `{${name}}` : name;
}

/** Every master of a cluster, or the one server. */
function servers(connection: RedisConnection): Redis[] {
  return connection instanceof Cluster ? connection.nodes('master') : [connection];
}

/**
 * Deletes every key under a prefix (tests and benchmarks remove the queues they made): on a
 * cluster, the keys of each queue under `{prefix:…}` and the key groups, on every master.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string, cluster = false): Promise<void> {
  const redis = cluster ? createCluster(redisUrl, { maxRetriesPerRequest: 1 }) : new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    if (redis instanceof Cluster) await new Promise<void>((resolve, reject) => { redis.once('ready', resolve); redis.once('error', reject); });
    for (const server of servers(redis)) {
      for (const pattern of cluster ? [`{${prefix}:*`] : [`${prefix}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          if (keys.length === 0) continue;
          // on a cluster the keys of one page live in different slots: one DEL each
          if (cluster) for (const k of keys) await server.del(k);
          else await server.del(...keys);
        } while (cursor !== '0');
      }
    }
  } finally {
    redis.disconnect();
  }
}
