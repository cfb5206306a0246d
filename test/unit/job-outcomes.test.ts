import { AppError, idempotencyConflict, rateLimited, unknownPlan } from '../../src/errors';
import { replyOf } from '../../src/http/job-reply';
import { outcomeOfBody, refused, succeeded } from '../../src/queues/outcomes';
import { jobOptions } from '../../src/queues/catalogue';

describe('job outcomes carry codes; the HTTP edge picks the status', () => {
  test('a success is answered with the route\'s status, an error with its code\'s', () => {
    expect(replyOf(succeeded({ redemption: { id: 'r1' } }), 201)).toEqual({ status: 201, body: { redemption: { id: 'r1' } } });
    expect(replyOf(refused(new AppError('code_exhausted', 'This code has reached its redemption limit.')), 201)).toEqual({
      status: 422, body: { error: { code: 'code_exhausted', message: 'This code has reached its redemption limit.' } }, headers: undefined,
    });
    expect(replyOf(refused(idempotencyConflict()), 201).status).toBe(409);
    expect(replyOf(refused(unknownPlan('lines[2].planId', 'gold')), 200)).toEqual({
      status: 400, body: { error: { code: 'validation_failed', message: 'lines[2].planId: no plan "gold" is registered', field: 'lines[2].planId' } }, headers: undefined,
    });
  });

  test('a rate limit keeps its Retry-After through the job', () => {
    const outcome = refused(rateLimited(42));
    expect(outcome).toEqual({ ok: false, error: { code: 'rate_limited', message: 'too many attempts with unknown codes; retry in 42 s' }, retryAfterSeconds: 42 });
    expect(replyOf(outcome, 201)).toMatchObject({ status: 429, headers: { 'Retry-After': '42' } });
  });

  test('a result of the earlier {status, body} shape is answered as it was', () => {
    expect(replyOf({ status: 422, body: { error: { code: 'code_expired', message: 'm' } } }, 201)).toEqual({ status: 422, body: { error: { code: 'code_expired', message: 'm' } }, headers: undefined });
  });

  test('a stored answer body stands for its outcome', () => {
    expect(outcomeOfBody({ redemption: { id: 'r' }, trialDays: 14 })).toEqual({ ok: true, body: { redemption: { id: 'r' }, trialDays: 14 } });
    expect(outcomeOfBody({ error: { code: 'code_disabled', message: 'x' } })).toEqual({ ok: false, error: { code: 'code_disabled', message: 'x' } });
  });
});

describe('the job catalogue chooses ids and options in one place', () => {
  const request = { code: 'A', customer: { id: 'c' }, subscriptionId: 's', planId: 'p' };
  test('a redemption with a key: one job per (key, request); without: the request id', () => {
    const keyed = (hash: string) => jobOptions({ queue: 'redemptions', name: 'redeem', data: { accountId: 'acc', apiKeyId: null, requestHash: hash, request: { ...request, idempotencyKey: 'k' } } }).jobId;
    expect(keyed('h1')).toBe(keyed('h1'));
    expect(keyed('h1')).not.toBe(keyed('h2'));
    expect(keyed('h1')).toMatch(/^red-acc-[0-9a-f]{40}$/);
    const unkeyed = jobOptions({ queue: 'redemptions', name: 'redeem', data: { accountId: 'acc', apiKeyId: null, requestHash: 'h', request, requestId: 'rid' } });
    expect(unkeyed).toMatchObject({ jobId: 'red-rid', attempts: 5, backoff: { type: 'exponential', delay: 200 } });
    expect(() => jobOptions({ queue: 'redemptions', name: 'redeem', data: { accountId: 'acc', apiKeyId: null, requestHash: 'h', request } })).toThrow('needs its requestId');
  });

  test('expire-at jobs are delayed to their instant; deliveries get the attempts they have left', () => {
    const exp = jobOptions({ queue: 'expiry', name: 'expire-at', data: { kind: 'code', accountId: 'a', codeId: 7, expiresAt: '2030-01-01T00:00:10.000Z' } }, { now: '2030-01-01T00:00:00.000Z' });
    expect(exp).toMatchObject({ jobId: `exp-code-7-${Date.parse('2030-01-01T00:00:10.000Z')}`, delay: 10_000 });
    expect(jobOptions({ queue: 'webhooks', name: 'deliver', data: { accountId: 'a', deliveryId: 'd', round: 2 } }, { attemptsLeft: 3 })).toMatchObject({ jobId: 'whd-d-2', attempts: 3, backoff: { type: 'webhook' } });
    expect(jobOptions({ queue: 'webhooks', name: 'deliver', data: { accountId: 'a', deliveryId: 'd', round: 0 } }, { attemptsLeft: 2 }).delay).toBeUndefined();
    expect(jobOptions({ queue: 'webhooks', name: 'deliver', data: { accountId: 'a', deliveryId: 'd', round: 0 } }, { attemptsLeft: 2, delayMs: 5000 })).toMatchObject({ jobId: 'whd-d-0', attempts: 2, delay: 5000 });
    expect(jobOptions({ queue: 'webhooks', name: 'deliver-batch', data: { accountId: 'a', endpointId: 'e', deliveryIds: ['d1', 'd2'] } })).toMatchObject({ jobId: 'whb-e-d1', attempts: 5, backoff: { type: 'webhook' } });
    expect(() => jobOptions({ queue: 'expiry', name: 'sweep', data: { kind: 'sweep' } })).toThrow('job scheduler');
  });
});
