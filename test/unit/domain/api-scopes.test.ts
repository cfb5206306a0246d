import { API_SCOPES, firstScopeNotGranted, grantsScope, isApiScope } from '../../../src/domain';

describe('API key scopes', () => {
  test('the scopes are the contract’s, each once', () => {
    expect(API_SCOPES).toEqual([
      'coupons:read', 'coupons:write', 'redemptions:validate', 'redemptions:write', 'invoices:write', 'reports:read',
      'webhooks:write', 'keys:write', 'audit:read', 'account:write', '*',
    ]);
    expect([isApiScope('coupons:read'), isApiScope('*'), isApiScope('coupons:delete'), isApiScope('')]).toEqual([true, true, false, false]);
  });

  test.each([
    [['coupons:read'], 'coupons:read', true],
    [['coupons:read'], 'coupons:write', false],
    [['coupons:write'], 'coupons:read', true],
    [['coupons:write'], 'coupons:write', true],
    [['redemptions:write'], 'redemptions:validate', true],
    [['redemptions:validate'], 'redemptions:write', false],
    [['reports:read'], 'coupons:read', false],
    [['invoices:write'], 'reports:read', false],
    [['*'], 'audit:read', true],
    [['*'], '*', true],
    [['keys:write', 'audit:read'], '*', false],
    [['unknown:scope'], 'coupons:read', false],
    [[], 'coupons:read', false],
    [['webhooks:write', 'account:write'], 'account:write', true],
  ] as const)('grantsScope(%j, %s) = %s', (held, needed, want) => {
    expect(grantsScope(held, needed)).toBe(want);
  });

  test('a key cannot give a scope it lacks: the first one it lacks is named', () => {
    expect(firstScopeNotGranted(['coupons:write', 'keys:write'], ['coupons:read', 'coupons:write'])).toBeNull();
    expect(firstScopeNotGranted(['coupons:write', 'keys:write'], ['coupons:read', 'reports:read', 'audit:read'])).toBe('reports:read');
    expect(firstScopeNotGranted(['coupons:write'], ['*'])).toBe('*');
    expect(firstScopeNotGranted(['*'], ['*', 'audit:read'])).toBeNull();
    expect(firstScopeNotGranted(['*'], ['nope'])).toBe('nope');
    expect(firstScopeNotGranted([], [])).toBeNull();
  });
});
