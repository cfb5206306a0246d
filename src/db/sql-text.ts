import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type RawBuilder } from 'kysely';

/** A Kysely that only compiles (PostgreSQL dialect, no connection). */
const compiler = new Kysely<Record<string, never>>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/**
 * The SQL text of a fragment that binds no parameters, for the places that cannot bind (COPY
 * ... TO STDOUT). Every value in it must already be a literal (`sql.lit`, or `sql.raw` of the
 * driver's escapeLiteral); a fragment that would bind one throws.
 */
export function sqlText(fragment: RawBuilder<unknown>): string {
  const compiled = fragment.compile(compiler);
  if (compiled.parameters.length > 0) throw new Error('sqlText: the fragment binds parameters; inline them as literals first');
  return compiled.sql;
}

/**
 * A named (prepared) statement for a pipelined client (src/db/pipeline.ts) from a kysely `sql`
 * fragment: its values become bound parameters ($1, $2, ...), arrays included, and the text is
 * the same on every call, so each connection parses and plans it once.
 */
export function namedStatement(name: string, fragment: RawBuilder<unknown>): { name: string; text: string; values: unknown[] } {
  const compiled = fragment.compile(compiler);
  return { name, text: compiled.sql, values: [...compiled.parameters] };
}
