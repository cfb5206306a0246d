import { Coalescer } from '../../src/coalescer';
import { EndpointPacer, SLOW_ATTEMPT_MS, SLOW_FOR_MS } from '../../src/services/webhook-pacing';
import { EndpointLanes } from '../../src/services/webhook-lanes';
import type { RedisConnection } from '../../src/queues/connection';

/** A promise with its resolver outside, to hold a batch open. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('Coalescer: concurrent calls go out in batches', () => {
  test('calls of one turn go together; calls made while the batches are in flight wait for the next one', async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const c = new Coalescer<number, number>(async (items) => {
      batches.push(items);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return items.map((i) => i * 10);
    }, { maxInFlight: 1, maxBatch: 3 });
    const turn = () => new Promise((r) => setImmediate(r));
    const first = [c.call(1), c.call(2)];
    expect(batches).toEqual([]);
    await turn();
    expect(batches).toEqual([[1, 2]]);
    const later = [c.call(3), c.call(4), c.call(5), c.call(6)];
    await turn();
    expect(batches).toEqual([[1, 2]]);
    gates[0].resolve();
    expect(await Promise.all(first)).toEqual([10, 20]);
    await turn();
    expect(batches).toEqual([[1, 2], [3, 4, 5]]);
    gates[1].resolve();
    await turn();
    await turn();
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6]]);
    gates[2].resolve();
    expect(await Promise.all(later)).toEqual([30, 40, 50, 60]);
  });

  test('a failed batch is tried again item by item: only the bad item fails', async () => {
    const runs: string[][] = [];
    const c = new Coalescer<string, string>(async (items) => {
      runs.push(items);
      if (items.includes('bad')) throw new Error(`refused ${items.join(',')}`);
      return items.map((i) => i.toUpperCase());
    }, { maxInFlight: 2, maxBatch: 10 });
    const settled = await Promise.allSettled([c.call('a'), c.call('bad'), c.call('b')]);
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'A' },
      { status: 'rejected', reason: new Error('refused bad') },
      { status: 'fulfilled', value: 'B' },
    ]);
    expect(runs).toEqual([['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  });

  test('a lone failing call fails once, without a retry', async () => {
    let runs = 0;
    const c = new Coalescer<number, number>(async () => {
      runs++;
      throw new Error('down');
    }, { maxInFlight: 2, maxBatch: 10 });
    await expect(c.call(1)).rejects.toThrow('down');
    expect(runs).toBe(1);
  });
});

describe('EndpointPacer: local slots, Redis slots only for slow endpoints', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  /** A Redis stand-in that counts the pacer's calls and grants `free` shared slots. */
  function fakeRedis(free: number) {
    const calls: string[] = [];
    let held = 0;
    const redis = {
      eval: async (_script: string, _n: number, key: string, _cap: number, _hold: number, holder: string) => {
        calls.push(`acquire ${key} ${holder}`);
        if (held >= free) return 0;
        held++;
        return 1;
      },
      zrem: async (key: string, holder: string) => {
        calls.push(`release ${key} ${holder}`);
        held--;
        return 1;
      },
    };
    return { redis: redis as unknown as RedisConnection, calls };
  }

  test('a fast endpoint: at most `cap` in flight in this process, no Redis call', async () => {
    const { redis, calls } = fakeRedis(10);
    const pacer = new EndpointPacer(redis, 'p', 2, 5000);
    const a = await pacer.acquire('e1', 'h1');
    const b = await pacer.acquire('e1', 'h2');
    expect(a && b).toBeTruthy();
    expect(await pacer.acquire('e1', 'h3')).toBeNull();
    expect(await pacer.acquire('e2', 'h4')).not.toBeNull();
    await pacer.release(a!, 20);
    expect(await pacer.acquire('e1', 'h5')).not.toBeNull();
    expect(calls).toEqual([]);
    expect(pacer.isSlow('e1')).toBe(false);
  });

  test('an attempt that took SLOW_ATTEMPT_MS makes the endpoint shared-paced for SLOW_FOR_MS', async () => {
    const { redis, calls } = fakeRedis(1);
    const pacer = new EndpointPacer(redis, 'p', 4, 5000);
    const slow = await pacer.acquire('e1', 'h1');
    await pacer.release(slow!, SLOW_ATTEMPT_MS);
    expect(pacer.isSlow('e1')).toBe(true);
    const shared = await pacer.acquire('e1', 'h2');
    expect(shared).toMatchObject({ shared: true });
    // the other processes hold the endpoint's shared slots: refused though this process has room
    expect(await pacer.acquire('e1', 'h3')).toBeNull();
    await pacer.release(shared!, 10);
    expect(calls).toEqual(['acquire p:webhooks-pacing:e1 h2', 'acquire p:webhooks-pacing:e1 h3', 'release p:webhooks-pacing:e1 h2']);
    jest.advanceTimersByTime(SLOW_FOR_MS);
    expect(pacer.isSlow('e1')).toBe(false);
    expect(await pacer.acquire('e1', 'h4')).toMatchObject({ shared: false });
  });

  test('an attempt still waiting for its answer after SLOW_ATTEMPT_MS marks the endpoint slow at once', async () => {
    const { redis } = fakeRedis(10);
    const pacer = new EndpointPacer(redis, 'p', 4, 5000);
    const waiting = await pacer.acquire('e1', 'h1');
    jest.advanceTimersByTime(SLOW_ATTEMPT_MS - 1);
    expect(pacer.isSlow('e1')).toBe(false);
    jest.advanceTimersByTime(1);
    expect(pacer.isSlow('e1')).toBe(true);
    expect(await pacer.acquire('e1', 'h2')).toMatchObject({ shared: true });
    await pacer.release(waiting!, SLOW_ATTEMPT_MS + 5);
  });

  test('a Redis failure gives the local slot back', async () => {
    const redis = { eval: async () => { throw new Error('redis down'); }, zrem: async () => 1 } as unknown as RedisConnection;
    const pacer = new EndpointPacer(redis, 'p', 1, 5000);
    const first = await pacer.acquire('e1', 'h1');
    await pacer.release(first!, SLOW_ATTEMPT_MS);
    await expect(pacer.acquire('e1', 'h2')).rejects.toThrow('redis down');
    jest.advanceTimersByTime(SLOW_FOR_MS);
    expect(await pacer.acquire('e1', 'h3')).toMatchObject({ shared: false });
  });
});

describe('EndpointLanes: batch jobs of one endpoint share its lanes', () => {
  test('at most cap tasks run at once, first in first out across jobs; maxJobs join, the next is turned away', async () => {
    const lanes = new EndpointLanes(2, 2);
    expect([lanes.join(), lanes.join(), lanes.join()]).toEqual([true, true, false]);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const task = (name: string) => () => {
      started.push(name);
      const gate = deferred<void>();
      gates.set(name, gate);
      return gate.promise.then(() => name);
    };
    // job 1 queues a1..a3, then job 2 queues b1
    const results = [lanes.run(task('a1')), lanes.run(task('a2')), lanes.run(task('a3')), lanes.run(task('b1'))];
    expect(started).toEqual(['a1', 'a2']);
    gates.get('a2')!.resolve();
    await results[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a1', 'a2', 'a3']);
    gates.get('a1')!.resolve();
    await results[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a1', 'a2', 'a3', 'b1']);
    gates.get('a3')!.resolve();
    gates.get('b1')!.reject(new Error('refused'));
    await expect(results[2]).resolves.toBe('a3');
    await expect(results[3]).rejects.toThrow('refused');
    // a failed task frees its lane too
    const after = lanes.run(async () => 'next');
    await expect(after).resolves.toBe('next');
    expect(lanes.leave()).toBe(false);
    expect(lanes.join()).toBe(true);
    expect(lanes.leave()).toBe(false);
    expect(lanes.leave()).toBe(true);
  });
});
