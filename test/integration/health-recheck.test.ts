import { connect, createServer, type Server, type Socket } from 'node:net';
import { createLogger } from '../../src/logger';
import { RECHECK_EVERY_MS, ServiceHealth } from '../../src/health';
import { freePort } from '../helpers/private-services';

/**
 * The look a request takes while PostgreSQL counts as down (ServiceHealth.recheckDatabase),
 * against a gate on a port of its own in front of the shared server: closed (connections
 * refused), holding (connections accepted and left unanswered until dropped, as a server still
 * starting up), or open (connections forwarded to 127.0.0.1:5432).
 */
class Gate {
  private server: Server | null = null;
  private mode: 'hold' | 'forward' = 'forward';
  readonly held: Socket[] = [];
  private readonly sockets = new Set<Socket>();
  private heldWaiters: (() => void)[] = [];
  constructor(readonly port: number) {}

  async open(mode: 'hold' | 'forward'): Promise<void> {
    this.mode = mode;
    if (this.server) return;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      if (this.mode === 'hold') {
        this.held.push(socket);
        for (const w of this.heldWaiters.splice(0)) w();
        return;
      }
      const upstream = connect(5432, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
  }

  /** Resolves once a connection is being held. */
  holding(): Promise<void> {
    return this.held.length > 0 ? Promise.resolve() : new Promise((r) => this.heldWaiters.push(r));
  }

  /** Drops the held connections, as a server that was starting up answers them. */
  dropHeld(): void {
    for (const s of this.held.splice(0)) s.destroy();
  }

  /** Stops listening and cuts every connection, as `pg_ctl stop -m immediate`. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.held.length = 0;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let gate: Gate;
let health: ServiceHealth;
const logs: { msg: string }[] = [];

/**
 * A look of LOOK_MS rather than the service's 250 ms (RECHECK_WAIT_MS): what is tested is which
 * probes a look waits for and starts, not how fast this machine opens a connection.
 */
const LOOK_MS = 2000;

beforeEach(async () => {
  gate = new Gate(await freePort());
  logs.length = 0;
  const logger = createLogger('info', {}, (line) => logs.push(JSON.parse(line)));
  health = new ServiceHealth(logger, { databaseUrl: `postgres://postgres@127.0.0.1:${gate.port}/postgres`, redisUrl: 'redis://127.0.0.1:6379' }, LOOK_MS);
  // an outage as a request sees it: the probe finds the port closed
  expect(await health.probeDatabase()).toBe(false);
  expect(health.databaseUp).toBe(false);
});

afterEach(async () => {
  await health.stop();
  await gate.close();
});

const messages = () => logs.map((l) => l.msg.split(';')[0]);

test('the server back right after a failed probe: the next look probes again (after the probes\' gap) and finds it up', async () => {
  // the last probe ended a moment ago, well inside RECHECK_EVERY_MS
  await gate.open('forward');
  expect(await health.recheckDatabase()).toBe(true);
  expect(health.databaseUp).toBe(true);
  expect(messages()).toEqual(['PostgreSQL unreachable', 'PostgreSQL reachable again']);
});

test('a probe that started while the server was starting up fails after it is back: the look waits for it, then probes again and finds it up', async () => {
  await gate.open('hold');
  const early = health.probeDatabase(); // connected, no answer yet
  await gate.holding();
  await gate.open('forward'); // the server is ready: new connections are answered
  const look = health.recheckDatabase(); // joins the early probe
  gate.dropHeld(); // the early probe's connection is dropped: that probe fails
  expect(await early).toBe(false);
  expect(await look).toBe(true);
  expect(health.databaseUp).toBe(true);
});

test('still down: concurrent looks answer false and share their probes, at most one per RECHECK_EVERY_MS', async () => {
  const probes = jest.spyOn(health as unknown as { probeOnce: () => Promise<boolean> }, 'probeOnce');
  const looks = await Promise.all([health.recheckDatabase(), health.recheckDatabase(), health.recheckDatabase()]);
  expect(looks).toEqual([false, false, false]);
  expect(health.databaseUp).toBe(false);
  // three concurrent looks of 2 s share one probe per 100 ms gap: at most 20 (19 when each
  // refusal takes any time at all), and several however late the timers run
  expect(probes.mock.calls.length).toBeGreaterThanOrEqual(3);
  expect(probes.mock.calls.length).toBeLessThanOrEqual(LOOK_MS / RECHECK_EVERY_MS);
  expect(messages()).toEqual(['PostgreSQL unreachable']);
});
