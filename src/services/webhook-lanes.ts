/**
 * A worker process's sending to one endpoint for its batch jobs: one queue of attempts, first in
 * first out, up to `cap` running at once. A batch job that joins while another is sending to
 * the endpoint queues its attempts behind the other's, so the endpoint's share stays `cap` and
 * no lane idles between two batches. At most `maxJobs` batch jobs join at once: a job beyond
 * that is turned away (its processor puts it back as delayed), so the batches of one endpoint
 * never hold more than `maxJobs` of a worker's slots while they wait.
 */
export class EndpointLanes {
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;
  private jobs = 0;

  constructor(
    private readonly cap: number,
    private readonly maxJobs: number,
  ) {}

  /** Joins a batch job; false when `maxJobs` are already in. Every join is followed by one `leave`. */
  join(): boolean {
    if (this.jobs >= this.maxJobs) return false;
    this.jobs++;
    return true;
  }

  /** Leaves; answers whether no batch job is in any more. */
  leave(): boolean {
    this.jobs--;
    return this.jobs === 0;
  }

  /** Runs `task` in its turn. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => task().then(resolve, reject));
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.cap && this.queue.length > 0) {
      const task = this.queue.shift()!;
      this.running++;
      void task().finally(() => {
        this.running--;
        this.pump();
      });
    }
  }
}
