import { isDatabaseUnavailable, isRedisUnavailable, faultError } from '../../src/faults';
import { AppError } from '../../src/errors';
import { findUnstorableText } from '../../src/contracts/storable-text';
import { decodeCursorOf, encodeCursor } from '../../src/cursor';
import { databaseRetryDelayMs } from '../../src/worker';

const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);

describe('fault classification', () => {
  test.each([
    ['connection refused (pg connect)', err({ code: 'ECONNREFUSED' }), 'database_unavailable'],
    ['both addresses refused (AggregateError)', Object.assign(new AggregateError([err({ code: 'ECONNREFUSED' })], ''), {}), 'database_unavailable'],
    ['server shutting down 57P01', err({ code: '57P01' }, 'terminating connection due to administrator command'), 'database_unavailable'],
    ['cannot connect now 57P03', err({ code: '57P03' }), 'database_unavailable'],
    ['connection exception class 08', err({ code: '08006' }), 'database_unavailable'],
    ['pool acquire timeout', err({}, 'timeout exceeded when trying to connect'), 'database_unavailable'],
    ['socket dropped mid-query', err({}, 'Connection terminated unexpectedly'), 'database_unavailable'],
    ['wrapped by the ORM (cause)', err({ cause: err({ code: 'ECONNRESET' }) }), 'database_unavailable'],
    ['ioredis without offline queue', err({}, "Stream isn't writeable and enableOfflineQueue options is false"), 'queue_unavailable'],
    ['ioredis gave up', err({ name: 'MaxRetriesPerRequestError' }, 'Reached the max retries per request limit (which is 1).'), 'queue_unavailable'],
    ['ioredis closed', err({}, 'Connection is closed.'), 'queue_unavailable'],
    ['Redis Cluster failing over', err({}, 'Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down'), 'queue_unavailable'],
    ['Redis Cluster slot migrating', err({}, 'TRYAGAIN Multiple keys request during rehashing of slot'), 'queue_unavailable'],
    ['Redis Cluster no node answers', err({}, 'Failed to refresh slots cache.'), 'queue_unavailable'],
    ['Redis Cluster none of the nodes', err({}, 'None of startup nodes is available'), 'queue_unavailable'],
    ['NUL in text reaching PostgreSQL', err({ code: '22021' }, 'invalid byte sequence for encoding "UTF8": 0x00'), 'validation_failed'],
    ['statement timeout 57014', err({ code: '57014' }, 'canceling statement due to statement timeout'), 'database_unavailable'],
    ['idle in transaction timeout 25P03', err({ code: '25P03' }), 'database_unavailable'],
    ['deadlock 40P01', err({ code: '40P01' }), 'database_unavailable'],
    ['a bug', new TypeError('cannot read properties of undefined'), null],
    ['a unique violation', err({ code: '23505' }), null],
  ])('%s → %s', (_name, e, code) => {
    expect(faultError(e)?.code ?? null).toBe(code);
  });

  test('an unnamed error while a service is known to be down is put down to the outage', () => {
    expect(faultError(new Error('odd'), { databaseUp: false, redisUp: true })?.code).toBe('database_unavailable');
    expect(faultError(new Error('odd'), { databaseUp: true, redisUp: false })?.code).toBe('queue_unavailable');
    expect(faultError(new Error('odd'), { databaseUp: true, redisUp: true })).toBeNull();
  });

  test('application errors pass through; Redis errors are never database errors', () => {
    const app = new AppError('conflict', 'x');
    expect(faultError(app)).toBe(app);
    expect(isDatabaseUnavailable(err({}, 'Connection is closed.'))).toBe(false);
    expect(isRedisUnavailable(err({ code: 'ECONNREFUSED' }))).toBe(false);
  });
});

describe('findUnstorableText', () => {
  test.each([
    ['plain text', { a: 'héllo 😀', b: [1, true, null] }, null],
    ['NUL in a value', { a: { b: ['x', 'y\u0000'] } }, { path: ['a', 'b', 1], message: 'must not contain a NUL character (\\u0000)' }],
    ['NUL in a key', { m: { 'k\u0000': 1 } }, { path: ['m', 'k\\u0000'], message: 'key: must not contain a NUL character (\\u0000)' }],
    ['lone high surrogate', { s: 'a\ud83d' }, { path: ['s'], message: 'must be valid Unicode text (it holds a lone surrogate)' }],
    ['lone low surrogate', { s: '\ude00b' }, { path: ['s'], message: 'must be valid Unicode text (it holds a lone surrogate)' }],
    ['a top-level string', 'x\u0000', { path: [], message: 'must not contain a NUL character (\\u0000)' }],
  ])('%s', (_name, value, expected) => {
    expect(findUnstorableText(value)).toEqual(expected);
  });
});

describe('decodeCursorOf', () => {
  const uuid = '0b7e8e3c-5a7e-4d3c-9f4e-2d1c0b9a8f7e';
  test('accepts what a list gave', () => {
    expect(decodeCursorOf(encodeCursor('l', ['2026-11-25 10:00:00.123456+00', uuid]), 'l', ['timestamp', 'uuid'])).toEqual(['2026-11-25 10:00:00.123456+00', uuid]);
    expect(decodeCursorOf(encodeCursor('l', ['2026-11-25T10:00:00.123Z', 7]), 'l', ['timestamp', 'integer'])).toEqual(['2026-11-25T10:00:00.123Z', 7]);
  });
  test.each([
    ['not a time', ['tomorrow', uuid]],
    ['an impossible date', ['2026-02-31T10:00:00Z', uuid]],
    ['not a uuid', ['2026-11-25T10:00:00Z', 'x']],
    ['too few values', ['2026-11-25T10:00:00Z']],
  ])('refuses %s with 400 on cursor', (_name, v) => {
    expect(() => decodeCursorOf(encodeCursor('l', v), 'l', ['timestamp', 'uuid'])).toThrow(expect.objectContaining({ code: 'validation_failed', field: 'cursor' }));
  });
});

test('jobs put back while the database is down wait 0.5 s, doubling, at most 10 s', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 50].map(databaseRetryDelayMs)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
});
