import { inTemp, PrivatePostgres } from '../history/services';

/** The PostgreSQL server that holds the bench's databases. */
export interface BenchServer {
  /** What the bench measures on, for its table's heading. */
  readonly what: string;
  databaseUrl(name: string): string;
  close(): Promise<void>;
}

/**
 * By default a PostgreSQL cluster of the bench's own (this machine's PostgreSQL, initdb into a
 * temporary directory, a free port) with every setting at PostgreSQL's default, autovacuum
 * included, as production runs it: a shared server tuned for other work (this machine's runs
 * with autovacuum off) would measure its own settings. `BENCH_DATABASE_URL` (a server's URL, e.g.
 * `postgres://postgres@127.0.0.1:5432`) measures on that running server instead; the bench
 * creates its databases there and drops them at the end.
 */
export async function openBenchServer(given = process.env.BENCH_DATABASE_URL): Promise<BenchServer> {
  if (given) {
    return {
      what: `the server at ${new URL(given).host}`,
      databaseUrl: (name) => {
        const url = new URL(given);
        url.pathname = `/${name}`;
        return url.toString();
      },
      close: async () => undefined,
    };
  }
  const pg = await inTemp('cf-bench-pg-', (dir) => PrivatePostgres.create(dir, {})).catch((err: unknown) => {
    throw new Error(`the bench could not start a PostgreSQL of its own (${(err as Error).message}); it needs PostgreSQL's server programs under /usr/lib/postgresql, or set BENCH_DATABASE_URL to a running server`);
  });
  return { what: 'a private PostgreSQL with default settings', databaseUrl: (name) => pg.url(name), close: () => pg.destroy() };
}
