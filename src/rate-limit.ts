import { keyGroup, type RedisConnection } from './queues/connection';

export interface GuessLimits {
  windowSeconds: number;
  perCustomer: number;
  perKey: number;
}

export interface Throttle {
  limited: boolean;
  retryAfterSeconds: number;
}

const OPEN: Throttle = { limited: false, retryAfterSeconds: 0 };

/**
 * Counts one attempt on each counter key, starting a key's window (ARGV[1] seconds) on its first
 * hit. With ARGV[2] = 'once', KEYS[1] is instead a mark that the attempt (a job) was counted:
 * set for one window, and when it is already set nothing is counted, so a retried job counts
 * its attempt once (and a guessing attack leaves no more marks than the window's).
 */
const COUNT_SCRIPT = `
local first = 1
if ARGV[2] == 'once' then
  if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) == false then return 0 end
  first = 2
end
for i = first, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[1]) end
end
return 1`;

/**
 * Guessing defence: attempts with codes that do not exist are counted in Redis per customer and
 * per API key in a fixed window, so every process shares the counts. Other refusals are never
 * counted. On a Redis Cluster an account's counters and job marks carry one hash tag
 * (`{prefix:guess:account}`), so the counting script's keys share a slot (an API key belongs to
 * one account); on a single Redis the keys are `prefix:guess:c:account:customer`,
 * `prefix:guess:k:apiKey` and `prefix:guess:job:jobId`.
 */
export class GuessLimiter {
  /** The keys' common group on a single Redis (`prefix:guess`), made once. */
  private readonly group: string;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly limits: GuessLimits,
    private readonly cluster = false,
  ) {
    this.group = keyGroup(prefix, false, 'guess');
  }

  private key(accountId: string, kind: 'c' | 'k' | 'job', id: string): string {
    if (this.cluster) return `${keyGroup(this.prefix, true, 'guess', accountId)}:${kind}:${id}`;
    return `${this.group}:${kind}:${kind === 'c' ? `${accountId}:${id}` : id}`;
  }

  private customerKey(accountId: string, customerId: string): string {
    return this.key(accountId, 'c', customerId);
  }

  private apiKeyKey(accountId: string, apiKeyId: string): string {
    return this.key(accountId, 'k', apiKeyId);
  }

  /** A customer past the threshold is refused on every validate/redeem until the window passes. */
  async customerThrottle(accountId: string, customerId: string): Promise<Throttle> {
    return this.check(this.customerKey(accountId, customerId), this.limits.perCustomer);
  }

  /** Whether the key (of that account) is already past its threshold of unknown-code attempts. */
  async apiKeyThrottle(accountId: string, apiKeyId: string | null): Promise<Throttle> {
    if (!apiKeyId) return OPEN;
    return this.check(this.apiKeyKey(accountId, apiKeyId), this.limits.perKey);
  }

  /** One GET on the common path; the TTL is read only when the threshold is reached. */
  private async check(key: string, threshold: number): Promise<Throttle> {
    const count = await this.redis.get(key);
    if (count === null || Number(count) < threshold) return OPEN;
    return { limited: true, retryAfterSeconds: Math.max(1, await this.redis.ttl(key)) };
  }

  /** Counts one unknown-code attempt for the customer and the key (one script, one round trip). */
  async recordUnknownCode(accountId: string, customerId: string, apiKeyId: string | null): Promise<void> {
    const keys = [this.customerKey(accountId, customerId), ...(apiKeyId ? [this.apiKeyKey(accountId, apiKeyId)] : [])];
    await this.redis.eval(COUNT_SCRIPT, keys.length, ...keys, String(this.limits.windowSeconds), 'every');
  }

  /**
   * recordUnknownCode for a queued attempt, once per job whatever the number of times it runs
   * (a job retried after a fault counts its attempt once); without a job id, counts every call.
   */
  async recordUnknownCodeOnce(jobId: string | null, accountId: string, customerId: string, apiKeyId: string | null): Promise<void> {
    if (jobId === null) return this.recordUnknownCode(accountId, customerId, apiKeyId);
    const keys = [this.key(accountId, 'job', jobId), this.customerKey(accountId, customerId), ...(apiKeyId ? [this.apiKeyKey(accountId, apiKeyId)] : [])];
    await this.redis.eval(COUNT_SCRIPT, keys.length, ...keys, String(this.limits.windowSeconds), 'once');
  }
}
