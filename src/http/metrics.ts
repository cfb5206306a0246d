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
