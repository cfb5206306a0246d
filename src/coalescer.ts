/**
 * Turns concurrent single calls into batched calls. Calls made in the same turn of the event loop
 * go out together at its end; while `maxInFlight` batches are running, new calls wait and go
 * together in the next one. So an idle process adds no wait (a lone call leaves at the end of its
 * turn, alone) and a busy one sends fewer, larger batches as its load grows.
 *
 * `run` answers one result per item, in the items' order. A batch that fails is tried again item
 * by item, so one bad item fails only its own call (the batch must be all-or-nothing for that to
 * be safe: one statement, or one transaction).
 */
export class Coalescer<I, O> {
  private waiting: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: { maxInFlight: number; maxBatch: number },
  ) {}

  call(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Sends what waits at the end of this turn of the event loop (setImmediate: after every I/O
   * callback of the turn, so the calls that the turn's answers led to go together).
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  private async send(batch: Coalescer<I, O>['waiting']): Promise<void> {
    try {
      const out = await this.run(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(out[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      await Promise.all(
        batch.map(async (b) => {
          try {
            b.resolve((await this.run([b.item]))[0]);
          } catch (e) {
            b.reject(e);
          }
        }),
      );
    }
  }
}
