import { keyGroup, type RedisConnection } from '../queues/connection';

/**
 * Per-endpoint pacing: at most `cap` deliveries in flight to one endpoint across every worker
 * process, held as members of a Redis sorted set scored by their expiry (so a slot held by a
 * process that died frees itself after the timeout). A delivery that finds no free slot is put
 * back as a delayed job by its processor, leaving the worker's slots to other endpoints.
 */

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1`;

export class EndpointPacer {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly cap: number,
    /** How long a slot is held at most (the request timeout plus a margin). */
    private readonly holdMs: number,
    private readonly cluster = false,
  ) {}

  /** One key per endpoint (the script's only key): `prefix:webhooks-pacing:id`, hash-tagged on a cluster. */
  private key(endpointId: string): string {
    return keyGroup(this.prefix, this.cluster, 'webhooks-pacing', endpointId);
  }

  /** Takes a slot for `holder`; false when the endpoint already has `cap` deliveries in flight. */
  async acquire(endpointId: string, holder: string): Promise<boolean> {
    const r = await this.redis.eval(ACQUIRE, 1, this.key(endpointId), this.cap, this.holdMs, holder);
    return Number(r) === 1;
  }

  async release(endpointId: string, holder: string): Promise<void> {
    await this.redis.zrem(this.key(endpointId), holder);
  }
}
