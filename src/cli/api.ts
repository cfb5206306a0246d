import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** The few Couponflow calls the CLI makes, over global fetch. */

export class ApiFailure extends Error {}

export interface BatchState {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  count: number;
  generated: number;
  error?: string | null;
}

export class Client {
  constructor(private readonly base: string, private readonly apiKey: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { Authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw new ApiFailure(`cannot reach ${this.base}: ${cause ?? (err as Error).message}`);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let message = `${method} ${path} answered ${res.status}`;
      try {
        const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        if (e?.message) message = `${e.message} (${res.status} ${e.code ?? ''})`.replace(' )', ')');
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiFailure(message);
    }
    return res;
  }

  async startBatch(couponId: string, body: Record<string, unknown>): Promise<BatchState> {
    const res = await this.call('POST', `/v1/coupons/${encodeURIComponent(couponId)}/batches`, body);
    return ((await res.json()) as { batch: BatchState }).batch;
  }

  async batch(id: string): Promise<BatchState> {
    const res = await this.call('GET', `/v1/batches/${encodeURIComponent(id)}`);
    return (await res.json()) as BatchState;
  }

  /** Streams the batch's CSV to `file` (through a temporary file, renamed when complete); answers the rows written. */
  async downloadCodes(id: string, file: string): Promise<number> {
    const res = await this.call('GET', `/v1/batches/${encodeURIComponent(id)}/codes.csv`);
    if (!res.body) throw new ApiFailure('the CSV download had no body');
    const tmp = `${file}.part`;
    let lines = 0;
    const source = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    source.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
    });
    try {
      await pipeline(source, createWriteStream(tmp));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new ApiFailure(`download failed: ${(err as Error).message}`);
    }
    return Math.max(0, lines - 1);
  }
}
