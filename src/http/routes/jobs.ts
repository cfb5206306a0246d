import { Job } from 'bullmq';
import { defineRoute } from '../route';
import { jobFailed, notFound } from '../../errors';
import { z } from '../openapi';
import { isQueueName, QUEUES, type QueueKey } from '../../queues/names';
import type { JobOutcome } from '../../queues/outcomes';

const Params = z.object({ queue: z.string(), id: z.string().min(1) });
const JobStatus = z
  .object({ id: z.string(), queue: z.string(), status: z.string(), result: z.unknown().optional(), error: z.string().optional() })
  .openapi('JobStatus');

/**
 * What `result` shows of a job's return value: a JobOutcome's body or `{error}` (the body the
 * synchronous call answers), an earlier `{status, body}` result's body, any other value as it is.
 */
function resultBody(rv: unknown): unknown {
  if (!rv || typeof rv !== 'object') return rv;
  const r = rv as Partial<JobOutcome> & { body?: unknown; error?: unknown };
  if (r.ok === true || 'status' in r) return r.body;
  if (r.ok === false) return { error: r.error };
  return rv;
}

export const jobRoutes = [
  defineRoute<undefined, undefined, z.infer<typeof Params>>({
    method: 'get',
    path: '/v1/jobs/:queue/:id',
    auth: 'account',
    scope: 'reports:read',
    summary: 'State of a job started with Prefer: respond-async',
    tags: ['jobs'],
    params: Params,
    responses: { 200: { description: 'job state', schema: JobStatus } },
    errors: [404],
    handler: async ({ ctx, account, params }) => {
      if (!isQueueName(params.queue)) throw notFound('queue');
      const key = (Object.keys(QUEUES) as QueueKey[]).find((k) => QUEUES[k] === params.queue)!;
      const job = await Job.fromId(ctx.queues[key], params.id);
      if (!job || (job.data as { accountId?: string }).accountId !== account.id) throw notFound('job');
      const status = await job.getState();
      const body: Record<string, unknown> = { id: job.id, queue: params.queue, status };
      if (status === 'completed') {
        // read before it finished (between the two calls above): read it again for its return value
        const done = job.finishedOn ? job : await Job.fromId(ctx.queues[key], params.id);
        body.result = resultBody(done?.returnvalue);
      }
      // The job's own error text is internal (it may quote SQL or a stack); the client gets the code's sentence.
      if (status === 'failed') body.error = jobFailed().message;
      return { status: 200, body };
    },
  }),
];
