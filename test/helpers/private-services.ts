import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Private Redis and PostgreSQL servers on their own ports, for tests that stop and start them.
 * They never touch the shared services on the standard ports.
 */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function accepts(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * A redis-server that keeps its data as production should (append-only file, fsync on every
 * write), so jobs accepted before it is killed are still there when it starts again.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number, private readonly dir: string) {}

  static async create(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'cf-redis-')));
    await r.start();
    return r;
  }

  /** Stops it and removes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction',
    ], { stdio: 'ignore' });
    await waitUntil(() => accepts(this.port), 10_000, `redis-server on ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = null;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0], 'bin', name);
}

/** Runs a PostgreSQL binary as the `postgres` user (it refuses to run as root). */
function asPostgres(bin: string, args: string[]): void {
  const isRoot = process.getuid?.() === 0;
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]] : [pgBin(bin), args];
  execFileSync(cmd, argv, { stdio: 'pipe' });
}

export class PrivatePostgres {
  private running = false;
  private constructor(readonly port: number, private readonly dir: string) {}

  /** initdb into a temporary directory (trust authentication, user postgres), then start. */
  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(path.join(tmpdir(), 'cf-pg-'));
    if (process.getuid?.() === 0) {
      const pw = execFileSync('id', ['-u', 'postgres']).toString().trim();
      const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
      chownSync(dir, Number(pw), Number(gid));
    }
    asPostgres('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    const pg = new PrivatePostgres(await freePort(), dir);
    await pg.start();
    return pg;
  }

  /**
   * A streaming replica of a running private primary: `pg_basebackup -R` (it streams the WAL and
   * follows the primary from then on) into a directory of its own, started on a free port.
   */
  static async replicaOf(primary: PrivatePostgres): Promise<PrivatePostgres> {
    const dir = mkdtempSync(path.join(tmpdir(), 'cf-pg-replica-'));
    if (process.getuid?.() === 0) {
      const pw = execFileSync('id', ['-u', 'postgres']).toString().trim();
      const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
      chownSync(dir, Number(pw), Number(gid));
    }
    asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', path.join(dir, 'data'), '-R', '-X', 'stream', '-c', 'fast']);
    const replica = new PrivatePostgres(await freePort(), dir);
    await replica.start();
    return replica;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    asPostgres('pg_ctl', ['-D', path.join(this.dir, 'data'), '-w', '-t', '30', '-l', path.join(this.dir, 'log'), '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=60`, 'start']);
    this.running = true;
  }

  /** Stops at once (`-m immediate`): every connection is cut, as when the server dies. */
  async stop(): Promise<void> {
    if (!this.running) return;
    asPostgres('pg_ctl', ['-D', path.join(this.dir, 'data'), '-w', '-m', 'immediate', 'stop']);
    this.running = false;
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
