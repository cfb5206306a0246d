import { releaseLostClients } from './pg-client';
import { Client } from 'pg';
import type { MikroORM as CoreMikroORM } from '@mikro-orm/core';
import { MikroORM, type EntityManager, type PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities';
import { migrationsList } from './migrations';

/** The ORM typed with the entity list, so `em.getKysely()` knows every table and column. */
export type Orm = CoreMikroORM<PostgreSqlDriver, EntityManager<PostgreSqlDriver>, typeof entities>;
export type Em = Orm['em'];

/** How long a connection attempt or a wait for a pooled connection may take. */
export const DB_CONNECT_TIMEOUT_MS = 2000;

/** The database a URL names, and a client on the `postgres` maintenance database of its server. */
function adminClient(databaseUrl: string): { name: string; client: Client } {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  return { name, client: new Client({ connectionString: url.toString() }) };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const { name, client } = adminClient(databaseUrl);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database ${quoteIdent(name)}`);
      } catch (err) {
        // another process created it first (42P04), or at the same instant (23505 on pg_database)
        if (!['42P04', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/** Drops the database named in the URL (tests and benchmarks remove the databases they made). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const { name, client } = adminClient(databaseUrl);
  await client.connect();
  try {
    await client.query(`drop database if exists ${quoteIdent(name)} with (force)`);
  } finally {
    await client.end();
  }
}

/**
 * Server-side bounds on every pooled connection (sent as startup parameters, so they cost no
 * round trip): a statement running longer than `statementMs` is cancelled, and a session left
 * idle inside a transaction for `idleInTransactionMs` is ended by the server (its transaction
 * rolls back). PostgreSQL before 17 has no bound on a transaction as a whole; the service's
 * transactions are a few statements each, so these keep every one of them short.
 */
export interface DbTimeouts {
  statementMs: number;
  idleInTransactionMs: number;
}

export const DEFAULT_DB_TIMEOUTS: DbTimeouts = { statementMs: 15_000, idleInTransactionMs: 5_000 };

export interface OrmOptions {
  databaseUrl: string;
  poolMax?: number;
  debug?: boolean;
  timeouts?: DbTimeouts;
}

export async function createOrm(opts: OrmOptions): Promise<Orm> {
  const timeouts = opts.timeouts ?? DEFAULT_DB_TIMEOUTS;
  return MikroORM.init<PostgreSqlDriver, EntityManager<PostgreSqlDriver>, typeof entities>({
    clientUrl: opts.databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      migrationsList,
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
      tableName: 'mikro_orm_migrations',
    },
    pool: { min: 0, max: opts.poolMax ?? 20 },
    // A connection attempt or a wait for a pooled connection gives up after 2 s, so a request
    // meets an unreachable or saturated database with 503 database_unavailable within 3 s.
    driverOptions: {
      onPoolCreated: releaseLostClients,
      connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
      statement_timeout: timeouts.statementMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    },
    debug: opts.debug ?? false,
    allowGlobalContext: false,
  });
}

/**
 * Applies pending migrations, all in one transaction that first takes an advisory lock, so
 * concurrent starters are serialized. Migrations run at start, before any work is taken, and
 * may take long on large tables: this transaction alone lifts the pool's timeouts.
 */
export async function migrate(orm: Orm): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    await em.execute(`select set_config('statement_timeout', '0', true), set_config('idle_in_transaction_session_timeout', '0', true)`);
    await em.execute('select pg_advisory_xact_lock(7212021)');
    await orm.migrator.up({ transaction: em.getTransactionContext() });
  });
}

/** Ensures the database, connects, migrates. */
export async function openDatabase(opts: OrmOptions): Promise<Orm> {
  await ensureDatabase(opts.databaseUrl);
  const orm = await createOrm(opts);
  await migrate(orm);
  return orm;
}
