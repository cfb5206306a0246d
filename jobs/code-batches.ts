import { UnrecoverableError, type Job } from 'bullmq';
import type { AppContext } from '../src/context';
import { errorFields } from '../src/logger';
import type { BatchJobData } from '../src/queues/payloads';
import { failBatch, generateBatch, isUnrecoverableBatchError } from '../src/services/batch-generator';

/**
 * `generate-batch` on `code-batches`: generates a batch's codes (see services/batch-generator).
 * Progress goes to the batch row and to `job.updateProgress({generated, count})`. On the last
 * attempt, or an unrecoverable error, the batch is marked failed with a `batch.failed` event.
 */
export const batchProcessor = (ctx: AppContext) => async (job: Job<BatchJobData>) => {
  const { accountId, batchId } = job.data;
  try {
    return await generateBatch(ctx, accountId, batchId, (p) => job.updateProgress({ generated: p.generated, count: p.count }));
  } catch (err) {
    const fatal = isUnrecoverableBatchError(err);
    const message = err instanceof Error ? err.message : String(err);
    if (fatal || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      // The job's own error is what BullMQ records; a failure to mark the row is only logged.
      await failBatch(ctx, accountId, batchId, message).catch((e) => ctx.logger.error('could not mark batch failed', { batchId, ...errorFields(e) }));
    }
    if (fatal && !(err instanceof UnrecoverableError)) throw new UnrecoverableError(message);
    throw err;
  }
};
