import { clusterNodes, keyGroup, queuePrefix } from '../../src/queues/connection';
import { redactUrl } from '../../src/health';

describe('Redis key names', () => {
  test('a single Redis keeps the key names of earlier versions', () => {
    expect(queuePrefix('couponflow', false, 'redemptions')).toBe('couponflow');
    expect(keyGroup('couponflow', false, 'guess')).toBe('couponflow:guess');
    expect(keyGroup('couponflow', false, 'webhooks-pacing', 'ep1')).toBe('couponflow:webhooks-pacing:ep1');
  });

  test('on a cluster each queue and each key group is one hash tag', () => {
    expect(queuePrefix('couponflow', true, 'redemptions')).toBe('{couponflow:redemptions}');
    expect(queuePrefix('couponflow', true, 'invoice-discounts')).toBe('{couponflow:invoice-discounts}');
    expect(keyGroup('couponflow', true, 'guess', 'acct-1')).toBe('{couponflow:guess:acct-1}');
    expect(keyGroup('couponflow', true, 'webhooks-pacing', 'ep1')).toBe('{couponflow:webhooks-pacing:ep1}');
  });

  test('cluster nodes and credentials from REDIS_URL; passwords redacted in logs', () => {
    expect(clusterNodes('redis://u:s%40cret@a:7000,redis://b,rediss://c:7002')).toEqual({
      nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 6379 }, { host: 'c', port: 7002 }],
      options: { username: 'u', password: 's@cret' },
    });
    expect(redactUrl('redis://:pw@a:7000,redis://:pw@b:7001')).toBe('redis://:***@a:7000,redis://:***@b:7001');
  });
});
