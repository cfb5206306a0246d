import type { Express } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { AppContext } from '../../context';
import { basicAuth } from '../auth';
import { createMetrics } from '../metrics';

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Health, readiness, metrics and Bull Board: operational routes outside /v1. */
export function mountOps(ctx: AppContext, app: Express): void {
  const metrics = createMetrics(ctx);

  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other');
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      end({ method: req.method, route });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    // Both checks at once, each within 1.5 s, so the answer comes within 3 s whatever is down.
    const [postgres, redis] = await Promise.all([
      (async () => {
        if (!(await ctx.health.recheckDatabase())) return 'unreachable';
        try {
          await withTimeout(ctx.orm.em.fork().execute('select 1'), 1500);
          return 'ok';
        } catch {
          void ctx.health.probeDatabase();
          return 'unreachable';
        }
      })(),
      (async () => {
        try {
          if (ctx.redis.status !== 'ready') throw new Error('not ready');
          await withTimeout(ctx.redis.ping(), 1500);
          return 'ok';
        } catch {
          return 'unreachable';
        }
      })(),
    ]);
    const checks: Record<string, string> = { postgres, redis };
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', checks });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({
    queues: Object.values(ctx.queues).map((q) => new BullMQAdapter(q)),
    serverAdapter,
  });
  app.use('/admin/queues', basicAuth(ctx.config.adminUser, ctx.config.adminPassword), serverAdapter.getRouter());
}
