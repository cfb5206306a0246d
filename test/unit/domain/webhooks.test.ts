import {
  attemptsAllowed, endpointWants, eventMessage, EVENT_TYPES, isEventType, isPrivateAddress, ipLiteralOfHost, judgeResponse, nextAttemptDelayMs,
  parseIPv4, parseIPv6, retryAfterMs, rotateSecret, signingSecrets, testMessage, webhookUrlProblem,
} from '../../../src/domain';

const NOW = '2026-12-01T10:00:00.000Z';

describe('event types', () => {
  test('the catalogue holds the webhook types and each type once', () => {
    expect(EVENT_TYPES).toContain('webhook.test');
    expect(EVENT_TYPES).toContain('webhook_endpoint.disabled');
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    expect([isEventType('coupon.created'), isEventType('coupon.nope')]).toEqual([true, false]);
  });
  test.each([
    [[], 'coupon.created', true],
    [['coupon.created'], 'coupon.created', true],
    [['coupon.archived'], 'coupon.created', false],
  ])('endpointWants(%j, %s) = %s', (types, type, want) => expect(endpointWants(types, type)).toBe(want));
});

describe('messages', () => {
  test('an event: id evt_<id>, sequence the id as a number', () => {
    expect(eventMessage({ id: '42', type: 'coupon.created', createdAt: NOW, data: { couponId: 'c' } })).toEqual({
      id: 'evt_42', type: 'coupon.created', createdAt: NOW, sequence: 42, data: { couponId: 'c' },
    });
  });
  test('a test: id evt_test_<uuid>, sequence null', () => {
    expect(testMessage('u-1', 'e-1', NOW)).toEqual({ id: 'evt_test_u-1', type: 'webhook.test', createdAt: NOW, sequence: null, data: { endpointId: 'e-1' } });
  });
});

describe('secrets', () => {
  test.each([
    [{ secret: 'a', previousSecret: null, previousSecretExpiresAt: null }, ['a']],
    [{ secret: 'a', previousSecret: 'b', previousSecretExpiresAt: '2026-12-01T10:00:00.001Z' }, ['a', 'b']],
    [{ secret: 'a', previousSecret: 'b', previousSecretExpiresAt: NOW }, ['a']],
    [{ secret: 'a', previousSecret: 'b', previousSecretExpiresAt: null }, ['a']],
  ])('signingSecrets(%j) = %j', (s, want) => expect(signingSecrets(s, NOW)).toEqual(want));
  test('rotation keeps the replaced secret for the overlap, none for 0, and never a third', () => {
    expect(rotateSecret('a', 'b', 60, NOW)).toEqual({ secret: 'b', previousSecret: 'a', previousSecretExpiresAt: '2026-12-01T10:01:00.000Z' });
    expect(rotateSecret('a', 'b', 0, NOW)).toEqual({ secret: 'b', previousSecret: null, previousSecretExpiresAt: null });
    const twice = rotateSecret('b', 'c', 60, NOW);
    expect(signingSecrets(twice, NOW)).toEqual(['c', 'b']);
  });
});

describe('answers and retries', () => {
  test.each([
    [200, undefined, { kind: 'succeeded' }],
    [204, undefined, { kind: 'succeeded' }],
    [299, undefined, { kind: 'succeeded' }],
    [410, undefined, { kind: 'gone', error: 'HTTP 410: the endpoint is gone; it was disabled' }],
    [301, 'https://x/y', { kind: 'failed', error: 'HTTP 301: redirects are not followed (to https://x/y)' }],
    [304, undefined, { kind: 'failed', error: 'HTTP 304: redirects are not followed' }],
    [404, undefined, { kind: 'failed', error: 'HTTP 404' }],
    [500, undefined, { kind: 'failed', error: 'HTTP 500' }],
    [100, undefined, { kind: 'failed', error: 'HTTP 100' }],
  ])('judgeResponse(%d, %s)', (status, location, want) => expect(judgeResponse(status, location)).toEqual(want));

  test.each([
    [undefined, null],
    ['2', 2000],
    ['0', 1000],
    ['100000', 86_400_000],
    ['Tue, 01 Dec 2026 10:00:30 GMT', 30_000],
    ['Tue, 01 Dec 2026 09:00:00 GMT', 1000],
    ['soon', null],
    ['-5', null],
  ])('retryAfterMs(%s) = %s', (header, want) => expect(retryAfterMs(header, NOW)).toBe(want));

  test('N delays allow N + 1 attempts; Retry-After replaces the scheduled delay', () => {
    const schedule = [10, 20, 30];
    expect(attemptsAllowed(schedule)).toBe(4);
    expect([1, 2, 3, 4].map((n) => nextAttemptDelayMs(schedule, n, null))).toEqual([10, 20, 30, null]);
    expect(nextAttemptDelayMs(schedule, 2, 5000)).toBe(5000);
    expect(nextAttemptDelayMs(schedule, 4, 5000)).toBeNull();
    expect(nextAttemptDelayMs(schedule, 0, null)).toBeNull();
    expect(nextAttemptDelayMs([], 1, null)).toBeNull();
  });
});

describe('addresses', () => {
  test.each([
    ['127.0.0.1', true], ['127.255.0.9', true], ['10.0.0.1', true], ['172.16.0.1', true], ['172.31.255.255', true], ['172.32.0.1', false],
    ['192.168.1.1', true], ['169.254.169.254', true], ['100.64.0.1', true], ['100.128.0.1', false], ['0.0.0.0', true], ['224.0.0.1', true],
    ['255.255.255.255', true], ['198.18.0.1', true], ['8.8.8.8', false], ['93.184.216.34', false], ['1.1.1.1', false],
    ['::', true], ['::1', true], ['::ffff:127.0.0.1', true], ['::ffff:8.8.8.8', false], ['::ffff:7f00:1', true], ['::127.0.0.1', true],
    ['fc00::1', true], ['fd12:3456::1', true], ['fe80::1%eth0', true], ['febf::1', true], ['ff02::1', true], ['64:ff9b::10.0.0.1', true],
    ['64:ff9b::8.8.8.8', false], ['2002:7f00:1::', true], ['2002:808:808::', false], ['2001:db8::1', true], ['100::1', true],
    ['2606:4700:4700::1111', false], ['[2606:4700:4700::1111]', false], ['not-an-ip', true],
  ])('isPrivateAddress(%s) = %s', (ip, want) => expect(isPrivateAddress(ip)).toBe(want));

  // IPv6 addresses that carry an IPv4 one count by it: refused when it is private, allowed when public.
  test.each([
    // NAT64 local use 64:ff9b:1::/48, the IPv4 in the last 32 bits
    ['64:ff9b:1::a9fe:a9fe', true], ['[64:ff9b:1::a9fe:a9fe]', true], ['64:ff9b:1::169.254.169.254', true], ['64:ff9b:1::7f00:1', true],
    ['64:ff9b:1:ffff:1:2:a00:1', true], ['64:ff9b:1::808:808', false], ['64:ff9b:1:2::8.8.8.8', false],
    // NAT64 64:ff9b::/96
    ['64:ff9b::a9fe:a9fe', true], ['64:ff9b::127.0.0.1', true], ['64:ff9b::101:101', false],
    // IPv4-translated ::ffff:0:0:0/96
    ['::ffff:0:127.0.0.1', true], ['::ffff:0:7f00:1', true], ['::ffff:0:a9fe:a9fe', true], ['::ffff:0:10.1.2.3', true], ['::ffff:0:0:0', true],
    ['::ffff:0:8.8.8.8', false], ['::ffff:0:5db8:d822', false],
    // Teredo 2001::/32: server 65.54.227.120 (4136:e378), the client inverted in the last 32 bits
    ['2001:0:4136:e378:8000:63bf:3f57:fefd', true], // client 192.168.1.2 (RFC 4380's example)
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', true], // client 127.0.0.1
    ['2001:0:4136:e378:8000:63bf:5601:5601', true], // client 169.254.169.254
    ['2001::4136:e378:8000:63bf:f5ff:fffe', true], // client 10.0.0.1
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', false], // client 8.8.8.8
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', true], // a private Teredo server 10.0.0.1
    ['2001:1::1', false], ['2001:4860:4860::8888', false],
  ])('an embedded IPv4: isPrivateAddress(%s) = %s', (ip, want) => expect(isPrivateAddress(ip)).toBe(want));

  test.each([
    ['1.2.3', null], ['1.2.3.256', null], ['01.2.3.4', null], ['1.2.3.4', 0x01020304],
  ])('parseIPv4(%s)', (s, want) => expect(parseIPv4(s)).toBe(want));

  test.each([
    ['1::2::3', null], ['1:2:3:4:5:6:7', null], ['1:2:3:4:5:6:7:8:9', null], ['g::1', null], ['::ffff:1.2.3', null], ['1:2:3:4:5:6:7::8', null],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]], ['::', [0, 0, 0, 0, 0, 0, 0, 0]], ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]],
    ['1.2.3.4', null],
  ])('parseIPv6(%s)', (s, want) => expect(parseIPv6(s)).toEqual(want));

  test.each([
    ['[::1]', '::1'], ['127.0.0.1', '127.0.0.1'], ['example.com', null],
  ])('ipLiteralOfHost(%s) = %s', (h, want) => expect(ipLiteralOfHost(h)).toBe(want));

  test.each([
    ['https://example.com/hook', false, null],
    ['http://example.com/hook', false, 'must use https'],
    ['http://example.com/hook', true, null],
    ['ftp://example.com/hook', true, 'must use https or http'],
    ['nope', false, 'must be an absolute URL'],
    ['https://u:p@example.com/', false, 'may not contain credentials'],
    ['https://127.0.0.1/', false, 'resolves to a private, loopback or link-local address'],
    ['https://127.0.0.1/', true, null],
    ['https://api.localhost/', false, 'resolves to a private, loopback or link-local address'],
    ['https://[fd00::1]/', false, 'resolves to a private, loopback or link-local address'],
    [`https://example.com/${'x'.repeat(2050)}`, false, 'must be at most 2048 characters'],
  ])('webhookUrlProblem(%s, %s) = %s', (url, allow, want) => expect(webhookUrlProblem(url, allow)).toBe(want));
});
