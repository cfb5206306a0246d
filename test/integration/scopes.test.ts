import { routes } from '../../src/http/routes';
import { startTestApp, type TestAccount, type TestApp } from '../helpers/harness';

/**
 * Every account route against a key of every scope: the route's own scope (or one that grants
 * it) passes, any other is 403 forbidden naming the scope. The routes come from their
 * definitions, so a new route must be added to ROUTE_SCOPES below or this test fails.
 */

/** The scope each account route needs (API.md "Keys, scopes and the audit log"); `any`: every key. */
const ROUTE_SCOPES: Record<string, string> = {
  'GET /v1/account': 'any',
  'PATCH /v1/account': 'account:write',
  'PUT /v1/plans/:id': 'coupons:write',
  'GET /v1/plans': 'coupons:read',
  'PUT /v1/customers/:id': 'coupons:write',
  'GET /v1/jobs/:queue/:id': 'reports:read',
  'POST /v1/coupons': 'coupons:write',
  'GET /v1/coupons': 'coupons:read',
  'GET /v1/coupons/:id': 'coupons:read',
  'PATCH /v1/coupons/:id': 'coupons:write',
  'POST /v1/coupons/:id/activate': 'coupons:write',
  'POST /v1/coupons/:id/disable': 'coupons:write',
  'POST /v1/coupons/:id/enable': 'coupons:write',
  'POST /v1/coupons/:id/archive': 'coupons:write',
  'POST /v1/coupons/:id/clone': 'coupons:write',
  'DELETE /v1/coupons/:id': 'coupons:write',
  'GET /v1/coupons/:id/versions': 'coupons:read',
  'GET /v1/coupons/:id/codes': 'coupons:read',
  'POST /v1/coupons/:id/codes': 'coupons:write',
  'GET /v1/codes/:code': 'coupons:read',
  'PATCH /v1/codes/:code': 'coupons:write',
  'POST /v1/codes/:code/disable': 'coupons:write',
  'POST /v1/codes/:code/enable': 'coupons:write',
  'DELETE /v1/codes/:code': 'coupons:write',
  'POST /v1/coupons/:id/codes/import': 'coupons:write',
  'GET /v1/events': 'reports:read',
  'POST /v1/redemptions': 'redemptions:write',
  'POST /v1/redemptions/:id/void': 'redemptions:write',
  'GET /v1/redemptions': 'reports:read',
  'POST /v1/invoices': 'invoices:write',
  'GET /v1/invoices/:invoiceId': 'invoices:write',
  'POST /v1/invoices/:invoiceId/paid': 'invoices:write',
  'POST /v1/codes/validate': 'redemptions:validate',
  'POST /v1/coupons/:id/batches': 'coupons:write',
  'GET /v1/batches': 'coupons:read',
  'GET /v1/batches/:id': 'coupons:read',
  'GET /v1/batches/:id/codes.csv': 'coupons:read',
  'GET /v1/coupons/:id/redemptions.csv': 'reports:read',
  'GET /v1/coupons/:id/stats': 'reports:read',
  'GET /v1/codes/:code/stats': 'reports:read',
  'GET /v1/stats': 'reports:read',
  'GET /v1/subscriptions/:id': 'reports:read',
  'POST /v1/subscriptions/:id/cancel': 'redemptions:write',
  'POST /v1/signups/authorize': 'redemptions:validate',
  'GET /v1/reports/codes': 'reports:read',
  'GET /v1/reports/codes.csv': 'reports:read',
  'GET /v1/reports/attribution': 'reports:read',
  'GET /v1/reports/timeseries': 'reports:read',
  'POST /v1/webhook-endpoints': 'webhooks:write',
  'GET /v1/webhook-endpoints': 'webhooks:write',
  'GET /v1/webhook-endpoints/:id': 'webhooks:write',
  'PATCH /v1/webhook-endpoints/:id': 'webhooks:write',
  'DELETE /v1/webhook-endpoints/:id': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/rotate-secret': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/test': 'webhooks:write',
  'GET /v1/webhook-endpoints/:id/deliveries': 'webhooks:write',
  'GET /v1/webhook-deliveries/:id': 'webhooks:write',
  'POST /v1/webhook-deliveries/:id/redeliver': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/recover': 'webhooks:write',
  'POST /v1/api-keys': 'keys:write',
  'GET /v1/api-keys': 'keys:write',
  'GET /v1/api-keys/current': 'any',
  'GET /v1/api-keys/:id': 'keys:write',
  'DELETE /v1/api-keys/:id': 'keys:write',
  'POST /v1/api-keys/:id/roll': 'keys:write',
  'GET /v1/audit-log': 'audit:read',
  'POST /v1/holds': 'redemptions:write',
  'GET /v1/holds': 'redemptions:write',
  'GET /v1/holds/:id': 'redemptions:write',
  'DELETE /v1/holds/:id': 'redemptions:write',
  'POST /v1/qualifications': 'redemptions:validate',
  'POST /v1/previews/invoices': 'redemptions:validate',
};

/** What a key holding one scope may call: the route scopes it grants (written out, not computed). */
const GRANTS: Record<string, string[]> = {
  'coupons:read': ['coupons:read'],
  'coupons:write': ['coupons:write', 'coupons:read'],
  'redemptions:validate': ['redemptions:validate'],
  'redemptions:write': ['redemptions:write', 'redemptions:validate'],
  'invoices:write': ['invoices:write'],
  'reports:read': ['reports:read'],
  'webhooks:write': ['webhooks:write'],
  'keys:write': ['keys:write'],
  'audit:read': ['audit:read'],
  'account:write': ['account:write'],
  '*': ['coupons:read', 'coupons:write', 'redemptions:validate', 'redemptions:write', 'invoices:write', 'reports:read', 'webhooks:write', 'keys:write', 'audit:read', 'account:write'],
};

const accountRoutes = routes.filter((r) => r.auth === 'account');
const name = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

/** A concrete path: ids that name nothing, so an allowed call ends in its own 4xx or a harmless 200. */
function concrete(path: string): string {
  return path
    .replace(':queue', 'redemptions')
    .replace(':code', 'NO-SUCH-CODE')
    .replace(':invoiceId', 'in_none')
    .replace(/:id\b/, '00000000-0000-4000-8000-000000000000');
}

let t: TestApp;
let acct: TestAccount;
const keys = new Map<string, string>();

beforeAll(async () => {
  t = await startTestApp();
  acct = await t.createAccount();
  for (const scope of Object.keys(GRANTS)) {
    const res = await t.http.post('/v1/api-keys').set(acct.auth).send({ name: `only ${scope}`, scopes: [scope] });
    if (res.status !== 201) throw new Error(`key ${scope}: ${res.status} ${JSON.stringify(res.body)}`);
    keys.set(scope, res.body.secret);
  }
});
afterAll(async () => {
  await t?.close();
});

test('every account route declares the scope the table gives it, and the table names every account route', () => {
  expect(Object.fromEntries(accountRoutes.map((r) => [name(r), r.scope]))).toEqual(ROUTE_SCOPES);
  expect(accountRoutes).toHaveLength(Object.keys(ROUTE_SCOPES).length);
});

test('the scope list is the contract’s', async () => {
  const doc = (await t.http.get('/openapi.json')).body;
  expect(doc.components.schemas.ApiScope.enum).toEqual(Object.keys(GRANTS));
});

test.each(Object.keys(ROUTE_SCOPES))('%s: allowed for the keys whose scope grants it, else 403 with requiredScope', async (route) => {
  const [method, path] = route.split(' ');
  const required = ROUTE_SCOPES[route];
  const outcomes: Record<string, number | string> = {};
  const expected: Record<string, number | string> = {};
  for (const [scope, secret] of keys) {
    const res = await t.http[method.toLowerCase() as 'get'](concrete(path)).set('Authorization', `Bearer ${secret}`);
    const allowed = required === 'any' || GRANTS[scope].includes(required);
    if (allowed) {
      // whatever the route answers to these made-up ids, it is not an auth refusal
      outcomes[scope] = res.status === 401 || res.status === 403 ? res.status : 'passed';
      expected[scope] = 'passed';
    } else {
      outcomes[scope] = res.status === 403 ? JSON.stringify(res.body) : res.status;
      expected[scope] = JSON.stringify({
        error: { code: 'forbidden', message: `this API key lacks the scope ${required} that ${route} needs`, requiredScope: required },
      });
    }
  }
  expect(outcomes).toEqual(expected);
});

test('the OpenAPI document names each route’s scope and documents its 403', async () => {
  const doc = (await t.http.get('/openapi.json')).body;
  const op = doc.paths['/v1/coupons/{id}/archive'].post;
  expect(op.description).toBe('API key scope: `coupons:write` (or one that grants it).');
  expect(Object.keys(op.responses)).toContain('403');
  expect(doc.paths['/v1/api-keys/current'].get.description).toBe('Any API key.');
  expect(Object.keys(doc.paths['/v1/api-keys/current'].get.responses)).not.toContain('403');
  expect(Object.keys(doc.paths['/v1/api-keys/{id}/roll'])).toEqual(['post']);
});
