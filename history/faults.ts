import type { Fault, FaultKind } from './model';
import { Prng } from './prng';
import { sleep, type PrivatePostgres, type ServiceProcess } from './services';

export interface FaultTargets {
  pg: PrivatePostgres;
  redis: { stop(how: 'kill' | 'shutdown'): Promise<void>; start(): Promise<void> };
  workers: ServiceProcess[];
  startWorker(): Promise<ServiceProcess>;
}

/**
 * Injects one fault at a time at seeded instants: a worker killed (SIGKILL) and a new one
 * started, PostgreSQL stopped (`pg_ctl stop -m immediate`) and started after a pause, Redis
 * killed or shut down without saving and started after a pause. Every server is running again
 * when it returns.
 */
export async function injectFaults(
  t: FaultTargets,
  opts: { seed: number; t0: number; from: number; until: number; over: { value: boolean }; log: (s: string) => void; weights?: Partial<Record<FaultKind, number>> },
): Promise<Fault[]> {
  const rng = new Prng(opts.seed, 7);
  const faults: Fault[] = [];
  const now = () => Date.now() - opts.t0;
  let at = opts.from + rng.int(0, 3000);
  for (;;) {
    if (at >= opts.until) break;
    while (now() < at && !opts.over.value) await sleep(Math.min(100, at - now()));
    if (opts.over.value) break;
    const kind = rng.weighted<FaultKind>((opts.weights as Record<FaultKind, number> | undefined) ?? { 'kill-worker': 50, 'postgres-down': 25, 'redis-down': 25 });
    const pause = rng.int(4000, 8000);
    const start = now();
    let down = start;
    let restart = start;
    let detail = '';
    if (kind === 'kill-worker') {
      const victim = t.workers.splice(rng.int(0, t.workers.length - 1), 1)[0];
      detail = `${victim.name} (pid ${victim.child.pid}) killed`;
      await victim.kill();
      down = now();
      await sleep(Math.min(pause, 1500));
      restart = now();
      const fresh = await t.startWorker();
      t.workers.push(fresh);
      detail += `, ${fresh.name} started`;
    } else if (kind === 'postgres-down') {
      await t.pg.stop();
      down = now();
      detail = `PostgreSQL down for ${pause} ms`;
      await sleep(pause);
      restart = now();
      await t.pg.start();
    } else {
      const how = rng.chance(0.5) ? 'kill' : 'shutdown';
      await t.redis.stop(how);
      down = now();
      detail = `Redis ${how === 'kill' ? 'killed' : 'SHUTDOWN NOSAVE'}, down for ${pause} ms`;
      await sleep(pause);
      restart = now();
      await t.redis.start();
    }
    const fault: Fault = { kind, start, down, restart, end: now(), detail };
    faults.push(fault);
    opts.log(`fault at ${(start / 1000).toFixed(1)} s: ${detail}`);
    at = fault.end + rng.int(2500, 6000);
  }
  return faults;
}
