import type { RedisConnection } from './queues/connection';
import type { Config } from '../config';
import type { Logger } from './logger';
import type { Orm } from './db/orm';
import type { ReadReplicas } from './db/read-replicas';
import type { Queues } from './queues/producers';
import type { JobWaiter } from './queues/job-waiter';
import type { GuessLimiter } from './rate-limit';
import type { ServiceHealth } from './health';
import type { Clock } from './clock';

/** Everything a request handler or job processor needs, built once per process. */
export interface AppContext {
  config: Config;
  logger: Logger;
  orm: Orm;
  /** Where stats, reports and exports read: the streaming replicas of DATABASE_READ_URL, else the primary. */
  reads: ReadReplicas;
  /** Producer connection: fails fast when Redis is down. */
  redis: RedisConnection;
  queues: Queues;
  waiter: JobWaiter;
  limiter: GuessLimiter;
  /** Whether PostgreSQL and Redis are reachable; logs each outage once. */
  health: ServiceHealth;
  /** The instant requests and jobs decide at (the system clock outside tests). */
  clock: Clock;
}
