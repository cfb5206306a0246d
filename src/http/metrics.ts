import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext } from '../context';
import { QUEUES, type QueueKey } from '../queues/names';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

/** Prometheus metrics; queue depths are read from Redis at scrape time. */
export function createMetrics(ctx: AppContext): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const depth = new Gauge({
    name: 'couponflow_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      await Promise.all(
        (Object.keys(QUEUES) as QueueKey[]).map(async (k) => {
          const q = ctx.queues[k];
          try {
            const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
            for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
          } catch {
            // Redis down: the gauge keeps its last values; /readyz reports the outage
          }
        }),
      );
    },
  });
  void depth;
  // DATABASE_READ_URL: whether each replica answers, and how far behind the primary it reads
  new Gauge({
    name: 'couponflow_db_replica_up',
    help: 'Read replica answering its probe (1) or left aside, its reads on the primary (0)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      for (const r of ctx.reads.states()) this.set({ replica: r.name }, r.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'couponflow_db_replica_lag_seconds',
    help: 'Seconds a read replica lags the primary (0 when it has replayed everything it received); absent while it does not answer',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of ctx.reads.states()) if (r.lagSeconds !== null) this.set({ replica: r.name }, r.lagSeconds);
    },
  });
  const httpRequests = new Counter({
    name: 'couponflow_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'couponflow_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration };
}
