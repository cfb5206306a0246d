import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from '../src/free-port';
import { stopChild } from '../src/stop-child';
import { promisify } from 'node:util';

/**
 * The servers a history run owns: a PostgreSQL cluster and a redis-server on free ports in the
 * run's directory, and the service's processes. Nothing here touches the shared servers on the
 * standard ports. Every stop and start is asynchronous, so the run's clients keep their timing
 * while a server is stopped or started.
 */

const run = promisify(execFile);

/** The repository root, whether this file runs compiled (dist/history) or from source (history). */
export const ROOT = path.resolve(__dirname, __dirname.split(path.sep).includes('dist') ? '../..' : '..');
export const MAIN = path.join(ROOT, 'dist/src/main.js');

/** Node 24 of the project (node_modules/.bin/node), else the Node running this. */
export function nodeBinary(): string {
  const pinned = path.join(ROOT, 'node_modules/.bin/node');
  return existsSync(pinned) ? pinned : process.execPath;
}

export { freePort };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Makes a server in a new temporary directory (`prefix…` under the OS's), which its `destroy()` then removes. */
export async function inTemp<T extends { destroy(): Promise<void> }>(prefix: string, make: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const server = await make(dir).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const destroy = server.destroy.bind(server);
  server.destroy = async () => {
    await destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  return server;
}

const isRoot = () => process.getuid?.() === 0;

/** Gives a directory to the `postgres` user when running as root (PostgreSQL refuses to run as root). */
function giveToPostgres(dir: string): void {
  if (!isRoot()) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, uid, gid);
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0], 'bin', name);
}

async function asPostgres(bin: string, args: string[]): Promise<void> {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]] : [pgBin(bin), args];
  await run(cmd, argv, { timeout: 60_000 });
}

/**
 * The server settings a private cluster starts with unless told otherwise: no fsync (a test's
 * cluster is thrown away) and room for a history run's connections. Everything else is
 * PostgreSQL's default, autovacuum included.
 */
export const TEST_POSTGRES_SETTINGS: Readonly<Record<string, string>> = { fsync: 'off', max_connections: '120' };

export class PrivatePostgres {
  running = false;
  private constructor(readonly port: number, private readonly dir: string, private readonly settings: Readonly<Record<string, string>>) {}

  /** initdb into `<dir>/pg` (trust authentication, user postgres), then start with `settings`. */
  static async create(dir: string, settings: Readonly<Record<string, string>> = TEST_POSTGRES_SETTINGS): Promise<PrivatePostgres> {
    const pgDir = path.join(dir, 'pg');
    if (isRoot()) chmodSync(dir, 0o755); // the postgres user must reach its directory
    mkdirSync(pgDir);
    giveToPostgres(pgDir);
    await asPostgres('initdb', ['-D', path.join(pgDir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    const pg = new PrivatePostgres(await freePort(), pgDir, settings);
    await pg.start();
    return pg;
  }

  /**
   * A streaming replica of a running primary: `pg_basebackup -R` (it streams the WAL and follows
   * the primary from then on) into `<dir>/pg`, started on a free port.
   */
  static async replicaOf(primary: PrivatePostgres, dir: string): Promise<PrivatePostgres> {
    const pgDir = path.join(dir, 'pg');
    if (isRoot()) chmodSync(dir, 0o755);
    mkdirSync(pgDir);
    giveToPostgres(pgDir);
    await asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', path.join(pgDir, 'data'), '-R', '-X', 'stream', '-c', 'fast']);
    const replica = new PrivatePostgres(await freePort(), pgDir, primary.settings);
    await replica.start();
    return replica;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Stops it and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async start(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', path.join(this.dir, 'data'), '-w', '-t', '60', '-l', path.join(this.dir, 'log'), '-o',
      [`-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir}`, ...Object.entries(this.settings).map(([k, v]) => `-c ${k}=${v}`)].join(' '), 'start']);
    this.running = true;
  }

  /** `pg_ctl stop -m immediate`: every connection is cut, as when the server dies. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await asPostgres('pg_ctl', ['-D', path.join(this.dir, 'data'), '-w', '-m', 'immediate', 'stop']);
  }
}

export class PrivateRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number, private readonly dir: string) {}

  /**
   * With AOF written before every answer (`appendfsync always`) and `noeviction`, as the README
   * asks of production: a job Redis acknowledged survives a kill.
   */
  static async create(dir: string): Promise<PrivateRedis> {
    const redisDir = path.join(dir, 'redis');
    mkdirSync(redisDir);
    const r = new PrivateRedis(await freePort(), redisDir);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Stops it and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction',
    ], { stdio: 'ignore' });
    await waitUntil(() => accepts(this.port), 20_000, `redis-server on ${this.port}`);
  }

  /** Kills the server (SIGKILL), or asks it to exit without saving (`SHUTDOWN NOSAVE`). */
  async stop(how: 'kill' | 'shutdown' = 'kill'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = null;
    const exited = new Promise((r) => child.once('exit', r));
    if (how === 'kill') {
      child.kill('SIGKILL');
    } else {
      const s = connect(this.port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('SHUTDOWN NOSAVE\r\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      s.destroy();
    }
    await exited;
  }
}

/** One process of the service (dist/src/main.js), its output appended to a log file. */
export class ServiceProcess {
  private out = '';
  private readonly log: WriteStream;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, env: Record<string, string>, logFile: string) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    this.child = spawn(nodeBinary(), [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => {
      if (this.out.length < 100_000) this.out += d;
      this.log.write(d);
    });
    this.child.stderr!.on('data', (d) => this.log.write(d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      this.log.end();
      resolve(code);
    }));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once stdout shows the text; rejects if the process exits first. */
  async waitFor(text: string, ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.out.includes(text)) {
      if (!this.alive) throw new Error(`${this.name} exited before "${text}"`);
      if (Date.now() > end) throw new Error(`${this.name}: timed out waiting for "${text}"`);
      await sleep(50);
    }
  }

  kill(): Promise<number | null> {
    if (this.alive) this.child.kill('SIGKILL');
    return this.exited;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 15_000);
  }
}
