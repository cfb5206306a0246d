import { keyGroup, type RedisConnection } from '../queues/connection';

/**
 * Per-endpoint pacing: at most `cap` deliveries in flight to one endpoint. Every process keeps
 * the count of its own deliveries in flight per endpoint (no Redis call): one process never gives
 * more than `cap` of its slots to one endpoint. An endpoint seen slow — an attempt that took, or
 * has been waiting for its answer, `SLOW_ATTEMPT_MS` or more — is also paced across every worker
 * process for `SLOW_FOR_MS` after it was last seen slow: each of its deliveries then holds a slot
 * in a Redis sorted set scored by the slot's expiry (so a slot held by a process that died frees
 * itself after the timeout). A delivery that finds no free slot is put back as a delayed job by
 * its processor, leaving the worker's slots to other endpoints.
 */

/** An attempt this long (answered or still waiting) marks its endpoint slow. */
export const SLOW_ATTEMPT_MS = 1000;
/** How long an endpoint stays paced across processes after it was last seen slow. */
export const SLOW_FOR_MS = 60_000;

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1`;

/** A slot taken: give it back with `release` once the attempt is over. */
export interface Slot {
  endpointId: string;
  holder: string;
  /** Whether it holds a slot in Redis too (the endpoint was slow when it was taken). */
  shared: boolean;
  timer: NodeJS.Timeout;
}

export class EndpointPacer {
  /** This process's deliveries in flight, per endpoint. */
  private readonly inFlight = new Map<string, number>();
  /** Endpoints seen slow: until when they are paced across processes (epoch ms). */
  private readonly slowUntil = new Map<string, number>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly cap: number,
    /** How long a slot is held at most (the request timeout plus a margin). */
    private readonly holdMs: number,
    private readonly cluster = false,
    private readonly now: () => number = Date.now,
  ) {}

  /** One key per endpoint (the script's only key): `prefix:webhooks-pacing:id`, hash-tagged on a cluster. */
  private key(endpointId: string): string {
    return keyGroup(this.prefix, this.cluster, 'webhooks-pacing', endpointId);
  }

  /** Whether the endpoint is paced across processes now. */
  isSlow(endpointId: string): boolean {
    const until = this.slowUntil.get(endpointId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.slowUntil.delete(endpointId);
    return false;
  }

  private markSlow(endpointId: string): void {
    const now = this.now();
    // endpoints slow once and not delivered to since are forgotten, so the map stays small
    if (this.slowUntil.size >= 10_000) for (const [id, until] of this.slowUntil) if (until <= now) this.slowUntil.delete(id);
    this.slowUntil.set(endpointId, now + SLOW_FOR_MS);
  }

  /** Takes a slot for `holder`; null when the endpoint already has `cap` deliveries in flight (here, or across processes when it is slow). */
  async acquire(endpointId: string, holder: string): Promise<Slot | null> {
    const local = this.inFlight.get(endpointId) ?? 0;
    if (local >= this.cap) return null;
    this.inFlight.set(endpointId, local + 1);
    const shared = this.isSlow(endpointId);
    if (shared) {
      let ok = false;
      try {
        ok = Number(await this.redis.eval(ACQUIRE, 1, this.key(endpointId), this.cap, this.holdMs, holder)) === 1;
      } finally {
        if (!ok) this.decrement(endpointId);
      }
      if (!ok) return null;
    }
    // still waiting for its answer after SLOW_ATTEMPT_MS: the endpoint is slow from then on
    const timer = setTimeout(() => this.markSlow(endpointId), SLOW_ATTEMPT_MS);
    timer.unref();
    return { endpointId, holder, shared, timer };
  }

  /** Gives the slot back; `durationMs` is how long the attempt took. */
  async release(slot: Slot, durationMs: number): Promise<void> {
    clearTimeout(slot.timer);
    if (durationMs >= SLOW_ATTEMPT_MS) this.markSlow(slot.endpointId);
    this.decrement(slot.endpointId);
    if (slot.shared) await this.redis.zrem(this.key(slot.endpointId), slot.holder);
  }

  private decrement(endpointId: string): void {
    const n = (this.inFlight.get(endpointId) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(endpointId);
    else this.inFlight.set(endpointId, n);
  }
}
