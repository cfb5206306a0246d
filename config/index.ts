/**
 * Typed configuration from the environment, validated once at start.
 * A bad value throws a ConfigError naming the variable; main prints it on one line and exits.
 */
export type Role = 'all' | 'api' | 'worker';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Config {
  nodeEnv: string;
  port: number;
  databaseUrl: string;
  /** DATABASE_READ_URL: streaming replicas that stats, reports and exports read from (may be empty). */
  databaseReadUrls: string[];
  databasePoolMax: number;
  /** PostgreSQL `statement_timeout` and `idle_in_transaction_session_timeout` of every pooled connection. */
  databaseTimeouts: { statementMs: number; idleInTransactionMs: number };
  /** One URL, or with `redisCluster` one or more node URLs, comma-separated. */
  redisUrl: string;
  /** REDIS_CLUSTER: REDIS_URL names nodes of a Redis Cluster; keys are hash-tagged per queue. */
  redisCluster: boolean;
  /** ioredis auto-pipelining on the producer connection: commands of one event-loop turn go in one write. */
  redisAutoPipelining: boolean;
  queuePrefix: string;
  platformAdminToken: string;
  adminUser: string;
  adminPassword: string;
  logLevel: LogLevel;
  role: Role;
  /** WEB_CONCURRENCY: API processes sharing the port (node's cluster module) when the role serves HTTP. */
  webConcurrency: number;
  /**
   * HTTP_KEEP_ALIVE_TIMEOUT_MS: how long the API keeps an idle client connection open. Longer than
   * the idle timeout of the clients and proxies in front of it, so they close an idle connection
   * first and never send a request into one the server is closing.
   */
  keepAliveTimeoutMs: number;
  /**
   * Which engines may be started here when nothing answers at the default address: those whose
   * URL variable is unset, never with NODE_ENV=production. `dir` holds their data.
   */
  embedded: { database: boolean; redis: boolean; dir: string };
  shutdownTimeoutMs: number;
  jobWaitTimeoutMs: number;
  /** A queue holding this many jobs not yet started refuses new ones with 503 queue_full. */
  queueMaxWaiting: number;
  concurrency: { redemptions: number; invoices: number; batches: number; expiry: number };
  /** The most invoices one worker process discounts in one transaction (group commit); 1 turns grouping off. */
  invoiceGroupMax: number;
  /** The most redemptions one worker process counts in one transaction (group commit); 1 turns grouping off. */
  redemptionGroupMax: number;
  rateLimit: { windowSeconds: number; perCustomer: number; perKey: number };
  expirySchedulerEveryMs: number;
  /** How often the growth report rollups fold their marks (REPORT_FOLD_EVERY_MS). */
  reportFoldEveryMs: number;
  /** BullMQ job lock: a job whose worker stops renewing it for this long is retried elsewhere. */
  jobLock: { durationMs: number; stalledIntervalMs: number };
  webhooks: WebhookConfig;
}

export interface WebhookConfig {
  /** A delivery succeeds only on a 2xx within this time (connect included). */
  timeoutMs: number;
  /** Delays between attempts: N entries allow N + 1 attempts. */
  retryScheduleMs: number[];
  /** Lets endpoints resolve to loopback/private addresses and use http (never in production). */
  allowPrivate: boolean;
  /** Deliveries one worker process sends at once. */
  concurrency: number;
  /** Deliveries in flight to one endpoint at once, across all processes. */
  endpointConcurrency: number;
  /** How often the relay looks for new committed events. */
  relayEveryMs: number;
  /** How often pending deliveries whose job is gone are re-enqueued. */
  sweepEveryMs: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  return v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = str(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name, String(fallback)).trim().toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** The default addresses: the standard local ports, or PGPORT / REDIS_PORT when set. */
function defaultDatabaseUrl(env: Env): string {
  return `postgres://postgres@127.0.0.1:${int(env, 'PGPORT', 5432, 1, 65535)}/couponflow`;
}
function defaultRedisUrl(env: Env): string {
  return `redis://127.0.0.1:${int(env, 'REDIS_PORT', 6379, 1, 65535)}`;
}

const unset = (env: Env, name: string) => env[name] === undefined || env[name]!.trim() === '';

/** REDIS_URL: one URL, or with REDIS_CLUSTER several node URLs separated by commas. */
function redisUrls(env: Env, cluster: boolean): string {
  const raw = str(env, 'REDIS_URL', defaultRedisUrl(env));
  const parts = raw.split(',').map((x) => x.trim());
  if (parts.length > 1 && !cluster) throw new ConfigError('REDIS_URL', 'lists several servers: set REDIS_CLUSTER=true for a Redis Cluster');
  if (parts.some((p) => p === '')) throw new ConfigError('REDIS_URL', 'has an empty entry in its comma-separated list');
  for (const p of parts) url({ REDIS_URL: p }, 'REDIS_URL', p, ['redis:', 'rediss:']);
  return parts.join(',');
}

/** DATABASE_READ_URL: none, or PostgreSQL URLs separated by commas. */
function readUrls(env: Env): string[] {
  const raw = env.DATABASE_READ_URL;
  if (raw === undefined || raw.trim() === '') return [];
  const parts = raw.split(',').map((x) => x.trim());
  if (parts.some((p) => p === '')) throw new ConfigError('DATABASE_READ_URL', 'has an empty entry in its comma-separated list');
  for (const p of parts) url({ DATABASE_READ_URL: p }, 'DATABASE_READ_URL', p, ['postgres:', 'postgresql:']);
  return parts;
}

function secret(env: Env, name: string, production: boolean, devDefault: string): string {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  if (production) throw new ConfigError(name, 'is required when NODE_ENV=production');
  return devDefault;
}

function delays(env: Env, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parts = raw.split(',').map((x) => x.trim());
  if (parts.some((x) => !/^\d+$/.test(x))) throw new ConfigError(name, `must be whole milliseconds separated by commas, got "${raw}"`);
  const out = parts.map(Number);
  if (out.length > 50 || out.some((n) => n > 7 * 86_400_000)) throw new ConfigError(name, 'allows at most 50 delays of at most 7 days each');
  return out;
}

/** WEBHOOK_RETRY_SCHEDULE_MS's default: about three days in ten attempts. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [5000, 300000, 1800000, 7200000, 18000000, 36000000, 50400000, 72000000, 86400000];

function webhookConfig(env: Env, production: boolean): WebhookConfig {
  const allowPrivate = bool(env, 'WEBHOOK_ALLOW_PRIVATE', false);
  if (allowPrivate && production) throw new ConfigError('WEBHOOK_ALLOW_PRIVATE', 'may not be true when NODE_ENV=production');
  return {
    timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    retryScheduleMs: delays(env, 'WEBHOOK_RETRY_SCHEDULE_MS', DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS),
    allowPrivate,
    concurrency: int(env, 'WEBHOOK_CONCURRENCY', 16, 1, 1000),
    endpointConcurrency: int(env, 'WEBHOOK_ENDPOINT_CONCURRENCY', 4, 1, 1000),
    relayEveryMs: int(env, 'WEBHOOK_RELAY_EVERY_MS', 250, 10, 60_000),
    sweepEveryMs: int(env, 'WEBHOOK_SWEEP_EVERY_MS', 60_000, 100, 3_600_000),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = str(env, 'NODE_ENV', 'development');
  const production = nodeEnv === 'production';
  const queuePrefix = str(env, 'QUEUE_PREFIX', 'couponflow');
  if (!/^[A-Za-z0-9_-]+$/.test(queuePrefix)) {
    throw new ConfigError('QUEUE_PREFIX', 'may hold only letters, digits, "_" and "-"');
  }
  return {
    nodeEnv,
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', defaultDatabaseUrl(env), ['postgres:', 'postgresql:']),
    databaseReadUrls: readUrls(env),
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 6, 1, 500),
    databaseTimeouts: {
      statementMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 30_000),
      idleInTransactionMs: int(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 5_000, 100, 30_000),
    },
    redisUrl: redisUrls(env, bool(env, 'REDIS_CLUSTER', false)),
    redisCluster: bool(env, 'REDIS_CLUSTER', false),
    redisAutoPipelining: bool(env, 'REDIS_AUTO_PIPELINING', false),
    queuePrefix,
    platformAdminToken: secret(env, 'PLATFORM_ADMIN_TOKEN', production, 'dev-platform-token'),
    adminUser: secret(env, 'ADMIN_USER', production, 'admin'),
    adminPassword: secret(env, 'ADMIN_PASSWORD', production, 'admin'),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error'] as const),
    role: oneOf(env, 'ROLE', 'all', ['all', 'api', 'worker'] as const),
    webConcurrency: int(env, 'WEB_CONCURRENCY', 1, 1, 64),
    keepAliveTimeoutMs: int(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 1_000, 600_000),
    embedded: {
      database: !production && unset(env, 'DATABASE_URL'),
      redis: !production && unset(env, 'REDIS_URL') && !bool(env, 'REDIS_CLUSTER', false),
      dir: str(env, 'EMBEDDED_DIR', '.couponflow'),
    },
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    jobWaitTimeoutMs: int(env, 'JOB_WAIT_TIMEOUT_MS', 10_000, 100, 600_000),
    queueMaxWaiting: int(env, 'QUEUE_MAX_WAITING', 100_000, 1, 100_000_000),
    concurrency: {
      redemptions: int(env, 'REDEMPTION_CONCURRENCY', 16, 1, 1000),
      invoices: int(env, 'INVOICE_CONCURRENCY', 64, 1, 1000),
      batches: int(env, 'BATCH_CONCURRENCY', 1, 1, 16),
      expiry: int(env, 'EXPIRY_CONCURRENCY', 4, 1, 100),
    },
    invoiceGroupMax: int(env, 'INVOICE_GROUP_MAX', 16, 1, 1000),
    redemptionGroupMax: int(env, 'REDEMPTION_GROUP_MAX', 16, 1, 1000),
    rateLimit: {
      windowSeconds: int(env, 'RATE_LIMIT_WINDOW_SECONDS', 600, 1, 86_400),
      perCustomer: int(env, 'RATE_LIMIT_PER_CUSTOMER', 20, 1, 1_000_000),
      perKey: int(env, 'RATE_LIMIT_PER_KEY', 1000, 1, 100_000_000),
    },
    expirySchedulerEveryMs: int(env, 'EXPIRY_EVERY_MS', 60_000, 1000, 86_400_000),
    reportFoldEveryMs: int(env, 'REPORT_FOLD_EVERY_MS', 1000, 100, 3_600_000),
    jobLock: {
      durationMs: int(env, 'JOB_LOCK_DURATION_MS', 30_000, 1000, 600_000),
      stalledIntervalMs: int(env, 'JOB_STALLED_INTERVAL_MS', 30_000, 500, 600_000),
    },
    webhooks: webhookConfig(env, production),
  };
}
