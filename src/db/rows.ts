import type { Selectable, UpdateObject } from 'kysely';
import type { InferDBFromKysely } from '@mikro-orm/postgresql';
import type { Em } from './orm';

// `ReturnType<Em['getKysely']>` loses the manager's `this` (and with it the entities): the type
// is read off a call instead.
const kyselyOf = (em: Em) => em.getKysely();

/** The kysely instance `em.getKysely()` answers. */
export type Db = ReturnType<typeof kyselyOf>;

/** The tables `em.getKysely()` knows, with their columns, as the ORM infers them from the entities. */
export type Tables = InferDBFromKysely<Db>;

export type TableName = keyof Tables;

/** A table's row as kysely types it (`selectAll()`, `returningAll()`). */
export type Row<T extends TableName> = Selectable<Tables[T]>;

/** What an update of the table may set: columns to values or SQL expressions. */
export type RowUpdate<T extends TableName> = UpdateObject<Tables, T>;

/**
 * A value of a column kysely types as `V`, as the driver hands it over: MikroORM's PostgreSQL
 * type parsers keep timestamps as PostgreSQL's text, and node-postgres gives bigints as strings,
 * so a Date may arrive as a string and a number (an int8 column) as a string.
 */
type Read<V> = V extends Date ? Date | string : V extends number ? number | string : V;

/** A value of a column as `to_jsonb` gives it: timestamps as ISO strings, bigints as JSON numbers. */
type Json<V> = V extends Date ? string : V;

/**
 * A table's row as a mapper takes it: read through kysely (a Row) or as JSON (a JsonRow), both fit,
 * so each table has one mapper whatever the read. Mappers turn timestamps into ISO strings with
 * iso()/isoOrNull() and numbers into numbers with Number().
 */
export type StoredRow<T extends TableName> = { [K in keyof Row<T>]: Read<Row<T>[K]> };

/** A table's row read as JSON (`to_jsonb(t)`, `jsonb_agg(to_jsonb(t))`). */
export type JsonRow<T extends TableName> = { [K in keyof Row<T>]: Json<Row<T>[K]> };

/**
 * A jsonb column's value as the type the service wrote into it. The database does not type
 * jsonb: a mapper narrows each jsonb column with this, once, to the type its writer stored.
 */
export function storedJson<T>(v: Record<string, unknown>): T;
export function storedJson<T>(v: Record<string, unknown> | null): T | null;
export function storedJson<T>(v: Record<string, unknown> | null): T | null {
  return v as T | null;
}
