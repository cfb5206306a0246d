import { sql, type RawBuilder } from 'kysely';
import type { Em } from '../../db/orm';

/**
 * How a growth report statement runs. The statements are written once, with named parameters
 * `{name}`, and rendered two ways: with bound parameters for kysely (`bound`), or reading the
 * parameters from session settings set with bound values (`fromSettings`, for the CSV export,
 * whose COPY takes no bind parameters). No value is ever spliced into SQL text. `runReport`
 * executes a bound statement in a read-only transaction with the planner settings
 * REPORT_SETTINGS.
 */

/** The values of a statement's `{name}` parameters (null binds SQL null). */
export type SqlParams = Record<string, string | null>;

/**
 * Planner settings for the report statements, local to their read-only transaction: no
 * sequential scan (a scan would read every account's rows; each statement has index paths for
 * all it reads), no JIT (its compile time exceeds these statements' run time) and room to hash
 * and sort 100,000-row groupings in memory.
 */
export const REPORT_SETTINGS: Readonly<Record<string, string>> = { enable_seqscan: 'off', jit: 'off', work_mem: '64MB' };

/** Runs a report statement in a read-only transaction with REPORT_SETTINGS. */
export async function runReport<R>(em: Em, statement: RawBuilder<R>): Promise<R[]> {
  return inReportTransaction(em, (run) => run(statement));
}

/**
 * Runs `fn`'s report statements in one read-only transaction with REPORT_SETTINGS, on one
 * snapshot (repeatable read), so that a report read in two statements is one state of the data.
 */
export async function inReportTransaction<T>(em: Em, fn: (run: <R>(statement: RawBuilder<R>) => Promise<R[]>) => Promise<T>): Promise<T> {
  return em.transactional(async (tx) => {
    const db = tx.getKysely();
    await sql`set transaction isolation level repeatable read, read only`.execute(db);
    for (const [name, value] of Object.entries(REPORT_SETTINGS)) await sql`select set_config(${name}, ${value}, true)`.execute(db);
    return fn(async (statement) => (await statement.execute(db)).rows);
  });
}

const PARAM = /\{([a-zA-Z]+)\}/g;

/** The statement with every `{name}` bound as a parameter. */
export function bound<R>(text: string, params: SqlParams): RawBuilder<R> {
  const parts: unknown[] = [];
  let last = 0;
  for (const m of text.matchAll(PARAM)) {
    const name = m[1] as string;
    if (!(name in params)) throw new Error(`report SQL: no parameter ${name}`);
    parts.push(sql.raw(text.slice(last, m.index)), params[name]);
    last = (m.index as number) + m[0].length;
  }
  parts.push(sql.raw(text.slice(last)));
  return sql.join<R>(parts, sql.raw(''));
}

export const SETTING_PREFIX = 'couponflow.report_';

/** The statement reading `{name}` from the session setting `couponflow.report_<name>` ('' is null). */
export function fromSettings(text: string): string {
  return text.replace(PARAM, (_m, name: string) => `nullif(current_setting('${SETTING_PREFIX}${name.toLowerCase()}'), '')`);
}

/** The session settings that carry `params` for fromSettings (null as ''). */
export function settingsOf(params: SqlParams): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [`${SETTING_PREFIX}${k.toLowerCase()}`, v ?? '']));
}
