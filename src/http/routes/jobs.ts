import { Job } from 'bullmq';
import { defineRoute } from '../route';
import { jobFailed, notFound } from '../../errors';
import { z } from '../openapi';
import { isQueueName, QUEUES, type QueueKey } from '../../queues/names';
import type { HttpOutcome } from '../../queues/payloads';

const Params = z.object({ queue: z.string(), id: z.string().min(1) });
const JobStatus = z
  .object({ id: z.string(), queue: z.string(), status: z.string(), result: z.unknown().optional(), error: z.string().optional() })
  .openapi('JobStatus');

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
        const rv = done?.returnvalue as HttpOutcome | unknown;
        body.result = rv && typeof rv === 'object' && 'body' in (rv as object) ? (rv as HttpOutcome).body : rv;
      }
      // The job's own error text is internal (it may quote SQL or a stack); the client gets the code's sentence.
      if (status === 'failed') body.error = jobFailed().message;
      return { status: 200, body };
    },
  }),
];
