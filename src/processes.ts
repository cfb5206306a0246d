import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config';
import type { Logger } from './logger';

/**
 * WEB_CONCURRENCY > 1: this process only supervises. It forks WEB_CONCURRENCY API processes
 * (`ROLE=api`) that share the port through node's cluster module (connections are handed to them
 * in turn), plus, for `ROLE=all`, one queue worker process (`ROLE=worker`). Each opens its own
 * PostgreSQL pool and Redis connections. A process that dies is replaced after a second. On
 * SIGTERM (or SIGINT) every process drains as a single one would (SHUTDOWN_TIMEOUT_MS), and
 * the supervisor exits once all have: 0 when every one stopped cleanly.
 */

const RESPAWN_DELAY_MS = 1000;

export interface Supervised {
  /** Resolves with the port once every API process listens and has logged that it does. */
  listening: Promise<number>;
}

export function superviseProcesses(config: Config, logger: Logger, afterStop: () => Promise<unknown> = async () => undefined): Supervised {
  const roles: ('api' | 'worker')[] = [...Array.from({ length: config.webConcurrency }, () => 'api' as const), ...(config.role === 'all' ? ['worker' as const] : [])];
  const byWorker = new Map<Worker, { slot: number; role: 'api' | 'worker'; ready: boolean }>();
  let stopping = false;
  let failed = false;
  let resolveListening!: (port: number) => void;
  const listening = new Promise<number>((resolve) => (resolveListening = resolve));
  // an API process counts once it has said so itself (its 'ready' follows its own log line)
  const readySlots = new Set<number>();
  let port: number | null = null;
  const maybeListening = () => {
    if (port !== null && readySlots.size === config.webConcurrency) resolveListening(port);
  };

  const fork = (slot: number) => {
    const role = roles[slot];
    const worker = cluster.fork({ ROLE: role, COUPONFLOW_PROCESS_SLOT: String(slot) });
    const entry = { slot, role, ready: false };
    byWorker.set(worker, entry);
    worker.on('message', (m: { couponflow?: string }) => {
      if (m?.couponflow !== 'ready') return;
      entry.ready = true;
      if (role === 'api') readySlots.add(slot);
      maybeListening();
    });
    worker.on('listening', (address) => {
      port = address.port;
      maybeListening();
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const who = byWorker.get(worker);
    byWorker.delete(worker);
    if (!who) return;
    if (stopping) {
      if (code !== 0) failed = true;
      if (byWorker.size === 0) {
        void afterStop().finally(() => {
          logger.info('stopped', { processes: roles.length });
          process.exit(failed ? 1 : 0);
        });
      }
      return;
    }
    if (!who.ready) {
      // it never started (its own start-up line says why): another would fail the same way
      logger.error('a process failed to start; stopping', { role: who.role, pid: worker.process.pid, code, signal });
      stopping = true;
      failed = true;
      if (byWorker.size === 0) void afterStop().finally(() => process.exit(1));
      for (const w of byWorker.keys()) w.process.kill('SIGTERM');
      return;
    }
    logger.error('process died; starting another', { role: who.role, pid: worker.process.pid, code, signal });
    setTimeout(() => {
      if (!stopping) fork(who.slot);
    }, RESPAWN_DELAY_MS).unref();
  });

  for (let slot = 0; slot < roles.length; slot += 1) fork(slot);

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('draining', { signal, processes: byWorker.size, deadlineMs: config.shutdownTimeoutMs });
    if (byWorker.size === 0) void afterStop().finally(() => process.exit(0));
    for (const w of byWorker.keys()) w.process.kill('SIGTERM');
    // a process past its own deadline (and its bounded closing steps) is killed
    setTimeout(() => {
      for (const w of byWorker.keys()) w.process.kill('SIGKILL');
    }, config.shutdownTimeoutMs + 20_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return { listening };
}

/** Whether this process is one that a supervisor forked. */
export const isSupervisedProcess = (): boolean => cluster.isWorker;
