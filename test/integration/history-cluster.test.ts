import { runHistory } from '../../history/check-history';

/**
 * The history checker on a private Redis Cluster (3 masters, 3 replicas; `npm run
 * check:history -- --redis-cluster`): the built service as one api and two workers with
 * REDIS_CLUSTER=true, 25 s of seeded concurrent operations while workers are killed, then every
 * rule of the contract checked. (A master killed is redis-cluster.test.ts's part.)
 */
test('a seeded history on a Redis Cluster with workers killed keeps every rule of the contract', async () => {
  const result = await runHistory({ seed: 20261207, durationSec: 25, faults: true, redisCluster: true, log: () => undefined });
  expect(result.history.faults.filter((f) => f.kind === 'kill-worker').length).toBeGreaterThanOrEqual(1);
  expect(result.violations.length === 0 ? 'no rule broken' : result.summary).toBe('no rule broken');
}, 240_000);
