import { AUDIT_TARGET_TYPES, fieldChanges, sameJson, withoutSecrets } from '../../../src/domain';

describe('sameJson', () => {
  test.each([
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, true],
    [{ a: 1 }, { a: 1, b: null }, true],
    [null, undefined, true],
    [[1, 2], [2, 1], false],
    [[1], [1, 1], false],
    [[1], { 0: 1 }, false],
    [{ a: { b: 1 } }, { a: { b: 2 } }, false],
    [{ a: 1 }, 1, false],
    ['1', 1, false],
    [0, null, false],
  ])('sameJson(%j, %j) = %s', (a, b, want) => expect(sameJson(a, b)).toBe(want));
});

describe('fieldChanges', () => {
  test('an edit: the leaves that differ, by dotted path; arrays whole; nested objects walked', () => {
    const before = {
      name: 'Spring', description: null, discount: { type: 'percentage', basisPoints: 3000 }, limits: { maxRedemptions: 100, perCustomer: 1 },
      eventTypes: ['a', 'b'], metadata: { tier: 'gold', nested: { x: 1 } }, stackable: false,
    };
    const after = {
      name: 'Summer', description: 'now with text', discount: { type: 'fixed_amount', amounts: { USD: 1500 } }, limits: { maxRedemptions: 100, perCustomer: null },
      eventTypes: ['a'], metadata: { tier: 'gold', nested: { x: 2 } }, stackable: false,
    };
    expect(fieldChanges(before, after)).toEqual({
      name: { from: 'Spring', to: 'Summer' },
      description: { from: null, to: 'now with text' },
      'discount.type': { from: 'percentage', to: 'fixed_amount' },
      'discount.basisPoints': { from: 3000, to: null },
      'discount.amounts.USD': { from: null, to: 1500 },
      'limits.perCustomer': { from: 1, to: null },
      eventTypes: { from: ['a', 'b'], to: ['a'] },
      'metadata.nested.x': { from: 1, to: 2 },
    });
    expect(Object.keys(fieldChanges(before, after))).toEqual([...Object.keys(fieldChanges(before, after))].sort());
  });

  test('a creation: every set field from null (empty objects and nulls are not set; arrays are, even empty)', () => {
    expect(fieldChanges(null, { url: 'https://x.test', eventTypes: [], description: null, attribution: {}, limits: { maxRedemptions: 5 }, on: false, n: 0 })).toEqual({
      url: { from: null, to: 'https://x.test' },
      eventTypes: { from: null, to: [] },
      'limits.maxRedemptions': { from: null, to: 5 },
      on: { from: null, to: false },
      n: { from: null, to: 0 },
    });
  });

  test('a deletion: every set field to null; nothing changed: {}', () => {
    expect(fieldChanges({ code: 'SPRING', maxRedemptions: null, metadata: { a: 'b' } }, null)).toEqual({
      code: { from: 'SPRING', to: null },
      'metadata.a': { from: 'b', to: null },
    });
    expect(fieldChanges({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2 }] } })).toEqual({});
    expect(fieldChanges(null, null)).toEqual({});
  });

  test('a scalar that becomes an object shows both paths', () => {
    expect(fieldChanges({ x: 1 }, { x: { y: 2 } })).toEqual({ x: { from: 1, to: null }, 'x.y': { from: null, to: 2 } });
  });
});

describe('audit records', () => {
  test('the target types are the contract’s', () => {
    expect(AUDIT_TARGET_TYPES).toEqual(['coupon', 'code', 'batch', 'plan', 'account', 'webhook_endpoint', 'api_key', 'redemption', 'subscription']);
  });

  test('no field that names a secret or its hash reaches a record, at any depth', () => {
    const c = { from: null, to: 'x' };
    expect(withoutSecrets({
      secret: c, previousSecret: c, 'metadata.secret': c, 'keyHash': c, 'auth.token': c, 'a.password.b': c,
      url: c, secretive: c, 'metadata.note': c,
    })).toEqual({ url: c, secretive: c, 'metadata.note': c });
  });
});
