import { inTemp, PrivatePostgres as Postgres, PrivateRedis as Redis } from '../../history/services';

/**
 * Private Redis and PostgreSQL servers on their own ports, for tests that stop and start them
 * (the history checker's, history/services.ts), each in a temporary directory of its own that
 * `destroy()` removes. They never touch the shared services on the standard ports.
 */
export { freePort } from '../../history/services';

export type PrivatePostgres = Postgres;
export type PrivateRedis = Redis;

export const PrivatePostgres = {
  /** initdb (trust authentication, user postgres), then start. */
  create: (): Promise<Postgres> => inTemp('cf-pg-', (dir) => Postgres.create(dir)),
  /** A streaming replica of a running private primary (`pg_basebackup -R`). */
  replicaOf: (primary: Postgres): Promise<Postgres> => inTemp('cf-pg-replica-', (dir) => Postgres.replicaOf(primary, dir)),
};

/** A redis-server that keeps an fsynced append-only file, so a job it acknowledged survives a kill. */
export const PrivateRedis = {
  create: (): Promise<Redis> => inTemp('cf-redis-', (dir) => Redis.create(dir)),
};
