import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../src/free-port';
import { promisify } from 'node:util';

/**
 * A private Redis Cluster on free loopback ports, each node in a directory of its own: the
 * history checker's `--redis-cluster` and the cluster tests run the service on it. Built the way
 * production builds one (`redis-server --cluster-enabled yes`, then `redis-cli --cluster create
 * … --cluster-replicas 1`), with AOF fsynced on every write like the single private Redis, and a
 * short `cluster-node-timeout` so a killed master's replica takes over within seconds.
 */

const run = promisify(execFile);


/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 > 65_535) continue;
    const busFree = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port + 10_000, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (busFree) return port;
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

export interface ClusterNodeInfo {
  port: number;
  role: 'master' | 'slave';
  /** Slot ranges served (masters). */
  slots: [number, number][];
}

class ClusterNode {
  child: ChildProcess | null = null;
  constructor(readonly port: number, readonly dir: string, private readonly nodeTimeoutMs: number) {}

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', String(this.nodeTimeoutMs),
      // a replica takes over however long ago it last heard from its master
      '--cluster-replica-validity-factor', '0',
      '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction',
    ], { stdio: 'ignore' });
    const end = Date.now() + 20_000;
    while (!(await accepts(this.port))) {
      if (Date.now() > end) throw new Error(`redis-server (cluster node) on ${this.port} did not start`);
      await sleep(50);
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = null;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

export class PrivateRedisCluster {
  private constructor(private readonly nodes: ClusterNode[], private readonly dir: string, private readonly ownsDir: boolean) {}

  /**
   * Starts `masters × (1 + replicasPerMaster)` nodes and joins them into one cluster; resolves
   * once every node reports `cluster_state:ok`. `dir` (made when absent) holds one folder per node.
   */
  static async create(opts: { dir?: string; masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number } = {}): Promise<PrivateRedisCluster> {
    const masters = opts.masters ?? 3;
    const replicas = opts.replicasPerMaster ?? 1;
    const ownsDir = opts.dir === undefined;
    const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'cf-redis-cluster-'));
    mkdirSync(dir, { recursive: true });
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await freeClusterPort();
      const nodeDir = path.join(dir, `node-${port}`);
      mkdirSync(nodeDir);
      nodes.push(new ClusterNode(port, nodeDir, opts.nodeTimeoutMs ?? 1000));
    }
    const cluster = new PrivateRedisCluster(nodes, dir, ownsDir);
    try {
      await Promise.all(nodes.map((n) => n.start()));
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 60_000 });
      await cluster.waitHealthy(30_000);
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** `REDIS_URL` for the service: every node, comma-separated. */
  get url(): string {
    return this.nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(',');
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** Resolves once every running node sees the cluster as ok with every slot served. */
  async waitHealthy(ms: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      const states = await Promise.all(this.nodes.filter((n) => n.running).map((n) => cli(n.port, 'cluster', 'info').catch(() => '')));
      if (states.every((s) => /cluster_state:ok/.test(s) && /cluster_slots_ok:16384/.test(s))) return Date.now() - t0;
      if (Date.now() - t0 > ms) throw new Error(`Redis Cluster not ok within ${ms} ms`);
      await sleep(100);
    }
  }

  /** The roles and slots as a running node sees them. */
  async topology(): Promise<ClusterNodeInfo[]> {
    const from = this.nodes.find((n) => n.running);
    if (!from) return [];
    const text = await cli(from.port, 'cluster', 'nodes');
    return text.trim().split('\n').flatMap((line) => {
      const f = line.split(' ');
      const port = Number(f[1].split('@')[0].split(':').pop());
      if (/fail/.test(f[2])) return [];
      const role: 'master' | 'slave' = /master/.test(f[2]) ? 'master' : 'slave';
      const slots = f.slice(8).filter((s) => /^\d+(-\d+)?$/.test(s)).map((s) => {
        const [a, b] = s.split('-').map(Number);
        return [a, b ?? a] as [number, number];
      });
      return [{ port, role, slots }];
    });
  }

  /** The port of the master that serves `key` now. */
  async masterOf(key: string): Promise<number> {
    const from = this.nodes.find((n) => n.running)!;
    const slot = Number((await cli(from.port, 'cluster', 'keyslot', key)).trim());
    const owner = (await this.topology()).find((n) => n.role === 'master' && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner.port;
  }

  /** SIGKILLs one node. */
  async kill(port: number): Promise<void> {
    await this.node(port).kill();
  }

  /** Starts a killed node again (it rejoins, as a replica when its slots moved). */
  async restart(port: number): Promise<void> {
    await this.node(port).start();
  }

  private node(port: number): ClusterNode {
    const n = this.nodes.find((x) => x.port === port);
    if (!n) throw new Error(`no cluster node on ${port}`);
    return n;
  }

  /** Kills every node and removes the directories this made. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
    else for (const n of this.nodes) rmSync(n.dir, { recursive: true, force: true });
  }
}
