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

/**
 * A named (prepared) statement written with `:name` parameters, for a hot path whose text must
 * not be compiled per call. The text is turned into `$n` once, here; each call only lines the
 * values up by name. `::type` casts are left alone. Every name in the text must be listed in
 * `params` and every listed name used, or this throws when the module loads.
 *
 *   const byId = preparedStatement('cf_by_id', 'select * from t where id = :id and a = :accountId', ['id', 'accountId']);
 *   byId({ id, accountId }) // → { name, text: '... id = $1 and a = $2', values: [id, accountId] }
 */
export function preparedStatement<P extends string>(
  name: string,
  text: string,
  params: readonly P[],
): (values: Readonly<Record<P, unknown>>) => { name: string; text: string; values: unknown[] } {
  const position = new Map<string, number>(params.map((p, i) => [p, i + 1]));
  const used = new Set<string>();
  const compiled = text.replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_m, param: string) => {
    const n = position.get(param);
    if (n === undefined) throw new Error(`${name}: :${param} is not among its parameters`);
    used.add(param);
    return `$${n}`;
  });
  const unused = params.filter((p) => !used.has(p));
  if (unused.length > 0) throw new Error(`${name}: parameters never used: ${unused.join(', ')}`);
  return (values) => ({ name, text: compiled, values: params.map((p) => values[p]) });
}
