import { ConfigError, loadConfig } from '../../config';

describe('loadConfig', () => {
  test('defaults for local work', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/couponflow',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'couponflow',
      platformAdminToken: 'dev-platform-token',
      adminUser: 'admin',
      adminPassword: 'admin',
      logLevel: 'info',
      role: 'all',
      rateLimit: { windowSeconds: 600, perCustomer: 20, perKey: 1000 },
      redisAutoPipelining: false,
      databasePoolMax: 6,
      databaseTimeouts: { statementMs: 15_000, idleInTransactionMs: 5_000 },
      concurrency: { redemptions: 16, invoices: 64, batches: 1, expiry: 4 },
      invoiceGroupMax: 16,
      redemptionGroupMax: 16,
    });
  });

  test('reads every variable', () => {
    const c = loadConfig({
      PORT: '8080', DATABASE_URL: 'postgresql://u@db:5432/x', REDIS_URL: 'redis://r:6380', QUEUE_PREFIX: 'cf-2',
      PLATFORM_ADMIN_TOKEN: 't', ADMIN_USER: 'u', ADMIN_PASSWORD: 'p', LOG_LEVEL: 'debug', ROLE: 'worker',
      RATE_LIMIT_PER_CUSTOMER: '5', INVOICE_CONCURRENCY: '32', INVOICE_GROUP_MAX: '1', REDEMPTION_GROUP_MAX: '1', JOB_LOCK_DURATION_MS: '5000', JOB_STALLED_INTERVAL_MS: '2000',
      DATABASE_POOL_MAX: '7', REDIS_AUTO_PIPELINING: 'true', DATABASE_STATEMENT_TIMEOUT_MS: '20000', DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '2500',
    });
    expect(c.databaseTimeouts).toEqual({ statementMs: 20_000, idleInTransactionMs: 2_500 });
    expect(c.redisAutoPipelining).toBe(true);
    expect(c.jobLock).toEqual({ durationMs: 5000, stalledIntervalMs: 2000 });
    expect(c.databasePoolMax).toBe(7);
    expect(c).toMatchObject({ port: 8080, databaseUrl: 'postgresql://u@db:5432/x', redisUrl: 'redis://r:6380', queuePrefix: 'cf-2',
      platformAdminToken: 't', adminUser: 'u', adminPassword: 'p', logLevel: 'debug', role: 'worker' });
    expect(c.rateLimit.perCustomer).toBe(5);
    expect(c.concurrency.invoices).toBe(32);
    expect(c.invoiceGroupMax).toBe(1);
    expect(c.redemptionGroupMax).toBe(1);
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ROLE: 'everything' }, 'ROLE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ REDIS_AUTO_PIPELINING: 'yes' }, 'REDIS_AUTO_PIPELINING'],
    [{ QUEUE_PREFIX: 'a:b' }, 'QUEUE_PREFIX'],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '60000' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '0' }, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS'],
    [{ NODE_ENV: 'production' }, 'PLATFORM_ADMIN_TOKEN'],
    [{ NODE_ENV: 'production', PLATFORM_ADMIN_TOKEN: 'x' }, 'ADMIN_USER'],
  ])('%j is refused naming %s', (env, variable) => {
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message.startsWith(`${variable}: `)).toBe(true);
  });
});

describe('running past one machine', () => {
  test('a Redis Cluster: REDIS_CLUSTER=true with several node URLs', () => {
    const c = loadConfig({ REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a:7000, redis://b:7001,redis://c:7002' });
    expect({ redisCluster: c.redisCluster, redisUrl: c.redisUrl }).toEqual({ redisCluster: true, redisUrl: 'redis://a:7000,redis://b:7001,redis://c:7002' });
    expect(loadConfig({}).redisCluster).toBe(false);
  });

  test.each([
    [{ REDIS_URL: 'redis://a:7000,redis://b:7001' }, 'REDIS_URL: lists several servers: set REDIS_CLUSTER=true for a Redis Cluster'],
    [{ REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a:7000,,redis://b:7001' }, 'REDIS_URL: has an empty entry in its comma-separated list'],
    [{ REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a:7000,http://b:7001' }, 'REDIS_URL: must use redis: or rediss:, got "http:"'],
    [{ DATABASE_READ_URL: 'postgres://r1/x,mysql://r2/x' }, 'DATABASE_READ_URL: must use postgres: or postgresql:, got "mysql:"'],
    [{ WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY: must be between 1 and 64, got 0'],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: '999' }, 'HTTP_KEEP_ALIVE_TIMEOUT_MS: must be between 1000 and 600000, got 999'],
  ])('%j is refused: %s', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('read replicas, processes per core, the default ports and the idle connection timeout', () => {
    const c = loadConfig({ DATABASE_READ_URL: 'postgres://r1:5432/x, postgres://r2:5432/x', WEB_CONCURRENCY: '4', PGPORT: '6543', REDIS_PORT: '7379' });
    expect(c.databaseReadUrls).toEqual(['postgres://r1:5432/x', 'postgres://r2:5432/x']);
    expect(c.webConcurrency).toBe(4);
    expect({ db: c.databaseUrl, redis: c.redisUrl }).toEqual({ db: 'postgres://postgres@127.0.0.1:6543/couponflow', redis: 'redis://127.0.0.1:7379' });
    expect(loadConfig({}).databaseReadUrls).toEqual([]);
    expect(loadConfig({}).webConcurrency).toBe(1);
    expect([loadConfig({}).keepAliveTimeoutMs, loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '120000' }).keepAliveTimeoutMs]).toEqual([65_000, 120_000]);
  });

  test('embedded engines only for unset URLs, never in production', () => {
    expect(loadConfig({}).embedded).toEqual({ database: true, redis: true, dir: '.couponflow' });
    expect(loadConfig({ DATABASE_URL: 'postgres://db/x', EMBEDDED_DIR: '/tmp/cf' }).embedded).toEqual({ database: false, redis: true, dir: '/tmp/cf' });
    expect(loadConfig({ REDIS_CLUSTER: 'true', REDIS_URL: '' }).embedded.redis).toBe(false);
    const prod = loadConfig({ NODE_ENV: 'production', PLATFORM_ADMIN_TOKEN: 't', ADMIN_USER: 'u', ADMIN_PASSWORD: 'p' });
    expect(prod.embedded).toEqual({ database: false, redis: false, dir: '.couponflow' });
  });
});
