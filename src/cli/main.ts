import { ApiFailure, Client } from './api';
import { parseBatchArgs, USAGE, UsageError } from './args';
import { ProgressBar, type ProgressSink } from './progress';

/**
 * `couponflow batch --coupon ID --count N ... --out codes.csv`: starts a batch, polls it with a
 * progress bar on stderr until it completes, then streams its CSV to the file.
 * Exit codes: 0 done, 1 the API refused or the batch failed, 2 bad usage.
 */

export interface CliIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stderr: ProgressSink;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCli(io: CliIo): Promise<number> {
  if (io.argv.length === 0 || io.argv.includes('--help') || io.argv.includes('-h')) {
    io.stderr.write(USAGE + '\n');
    return io.argv.length === 0 ? 2 : 0;
  }
  let bar: ProgressBar | undefined;
  try {
    const args = parseBatchArgs(io.argv, io.env);
    const client = new Client(args.url, args.apiKey);
    let batch = await client.startBatch(args.couponId, args.body);
    io.stderr.write(`batch ${batch.id} queued: ${batch.count.toLocaleString('en-US')} codes\n`);
    bar = new ProgressBar(io.stderr, 'generating');
    for (;;) {
      bar.update(batch.generated, batch.count, batch.status);
      if (batch.status === 'completed') break;
      if (batch.status === 'failed') throw new ApiFailure(`batch ${batch.id} failed: ${batch.error ?? 'unknown error'}`);
      await sleep(io.pollMs ?? 500);
      batch = await client.batch(batch.id);
    }
    bar.finish();
    const rows = await client.downloadCodes(batch.id, args.out);
    io.stderr.write(`wrote ${rows.toLocaleString('en-US')} codes to ${args.out}\n`);
    return 0;
  } catch (err) {
    bar?.finish();
    if (err instanceof UsageError) {
      io.stderr.write(`couponflow: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.stderr.write(`couponflow: ${err instanceof ApiFailure ? err.message : String((err as Error).message ?? err)}\n`);
    return 1;
  }
}

/** Entry point used by bin/couponflow.js. */
export function run(): void {
  const pollMs = Number(process.env.COUPONFLOW_POLL_MS) || undefined;
  runCli({ argv: process.argv.slice(2), env: process.env, stderr: process.stderr, pollMs }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`couponflow: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
