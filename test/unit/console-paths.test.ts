import { apiPath, pathSegment, type ApiPath } from '../../console/src/paths';

const ID = '6f1c0c56-7c1e-4d1c-9a57-0e2c7f3f2b10';

describe('console paths: every value is one encoded segment', () => {
  it('an id decoded from the console URL stays inside its segment', () => {
    // /admin/coupons/..%2Fwebhook-endpoints%2F<id> decodes to this id
    expect(apiPath`/v1/coupons/${`../webhook-endpoints/${ID}`}`).toBe(`/v1/coupons/..%2Fwebhook-endpoints%2F${ID}`);
    expect(apiPath`/v1/coupons/${`../webhook-endpoints/${ID}`}/archive`).toBe(`/v1/coupons/..%2Fwebhook-endpoints%2F${ID}/archive`);
    expect(new URL(apiPath`/v1/coupons/${`../webhook-endpoints/${ID}`}`, 'http://x').pathname).toBe(`/v1/coupons/..%2Fwebhook-endpoints%2F${ID}`);
  });

  it('encodes ?, #, %, spaces and non-ASCII; leaves ids, codes and plain text as they are', () => {
    expect(apiPath`/v1/codes/${'A?b=1#c %2F é'}/stats`).toBe('/v1/codes/A%3Fb%3D1%23c%20%252F%20%C3%A9/stats');
    expect(apiPath`/v1/webhook-endpoints/${ID}/deliveries`).toBe(`/v1/webhook-endpoints/${ID}/deliveries`);
    expect(apiPath`/v1/codes/${'SPRING-7K2Q'}`).toBe('/v1/codes/SPRING-7K2Q');
    expect(apiPath`/v1/coupons/${ID}/${'disable'}`).toBe(`/v1/coupons/${ID}/disable`);
    expect(apiPath`/v1/coupons`).toBe('/v1/coupons');
  });

  it('refuses the segments a URL would resolve to another path', () => {
    for (const bad of ['', '.', '..']) expect(() => apiPath`/v1/coupons/${bad}/archive`).toThrow(`"${bad}" cannot be a path segment`);
    expect(pathSegment('...')).toBe('...');
    expect(pathSegment(42)).toBe('42');
  });

  it('the API calls take only built paths (checked by the compiler)', () => {
    // @ts-expect-error a plain string is not an ApiPath
    const plain: ApiPath = `/v1/coupons/${ID}`;
    const built: ApiPath = apiPath`/v1/coupons/${ID}`;
    expect(plain).toBe(built);
  });
});
