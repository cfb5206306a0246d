import { runHistory } from '../../history/check-history';

/**
 * The history checker (`npm run check:history`, history/) for a fixed seed: the built service as
 * one api and two worker processes on a private PostgreSQL and Redis, 50 s of seeded concurrent
 * redemptions, validations, edits, voids, invoices and cancellations while workers are killed and
 * the servers stopped, then the recorded history and the final state checked against the
 * contract. On failure the summary names each broken rule with the operations involved; the same
 * run replays with `npm run check:history -- --seed 20261206 --duration 50`.
 */
test('a seeded history with faults keeps every rule of the contract', async () => {
  const result = await runHistory({ seed: 20261206, durationSec: 50, faults: true, log: () => undefined });
  expect(result.violations.length === 0 ? 'no rule broken' : result.summary).toBe('no rule broken');
}, 300_000);
