import { createHash } from 'node:crypto';
import { createOrm, ensureDatabase, type Orm } from '../../src/db/orm';
import { dropDatabase, startTestApp, testEnv, type TestAccount, type TestApp } from '../helpers/harness';
import { TestClock } from '../helpers/clock';

/**
 * API keys: created with some of the caller's scopes, the secret shown once and stored hashed,
 * listed without secrets, rolled with an overlap (on the injected clock), revoked for good.
 */
const START = '2027-03-01T10:00:00.000Z';
const clock = new TestClock(START);
let t: TestApp;
let acct: TestAccount;

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  t = await startTestApp({}, { clock });
  acct = await t.createAccount();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => clock.set(START));

async function createKey(auth: Record<string, string>, body: Record<string, unknown>): Promise<{ apiKey: Record<string, unknown>; secret: string }> {
  const res = await t.http.post('/v1/api-keys').set(auth).send(body);
  if (res.status !== 201) throw new Error(`key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe('the first key', () => {
  test('the key POST /v1/accounts answers is named default, holds *, and its prefix is its first 8 characters', async () => {
    const a = await t.createAccount();
    const res = await t.http.get('/v1/api-keys/current').set(a.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'default',
      scopes: ['*'],
      prefix: a.apiKey.slice(0, 8),
      createdAt: START,
      expiresAt: null,
      lastUsedAt: START,
    });
    expect(a.apiKey).toMatch(/^cf_[A-Za-z0-9_-]{32}$/);
  });
});

describe('creating and listing keys', () => {
  test('the secret is answered once, stored only as its SHA-256, and never listed', async () => {
    clock.set('2027-03-01T11:00:00.000Z');
    const created = await createKey(acct.auth, { name: 'checkout backend', scopes: ['redemptions:write', 'coupons:read'] });
    expect(created.secret).toMatch(/^cf_[A-Za-z0-9_-]{32}$/);
    const view = {
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'checkout backend',
      scopes: ['redemptions:write', 'coupons:read'],
      prefix: created.secret.slice(0, 8),
      createdAt: '2027-03-01T11:00:00.000Z',
      expiresAt: null,
      lastUsedAt: null,
    };
    expect(created.apiKey).toEqual(view);

    const rows = await t.running.ctx.orm.em.fork().execute('select * from api_keys where id = ?', [created.apiKey.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(sha256(created.secret));
    expect(JSON.stringify(rows[0])).not.toContain(created.secret);

    const one = await t.http.get(`/v1/api-keys/${created.apiKey.id}`).set(acct.auth);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(view);
    const list = await t.http.get('/v1/api-keys').set(acct.auth);
    expect(list.status).toBe(200);
    expect(list.body.data.find((k: { id: string }) => k.id === created.apiKey.id)).toEqual(view);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    expect(list.body.data.every((k: Record<string, unknown>) => !('secret' in k))).toBe(true);
  });

  test('the list pages oldest first with a cursor', async () => {
    const a = await t.createAccount();
    const names = ['k1', 'k2', 'k3'];
    for (const [i, name] of names.entries()) {
      clock.set(`2027-03-02T00:00:0${i}.000Z`);
      await createKey(a.auth, { name, scopes: ['coupons:read'] });
    }
    const first = await t.http.get('/v1/api-keys?limit=2').set(a.auth);
    expect(first.body.data.map((k: { name: string }) => k.name)).toEqual(['default', 'k1']);
    const second = await t.http.get(`/v1/api-keys?limit=2&cursor=${first.body.nextCursor}`).set(a.auth);
    expect(second.body.data.map((k: { name: string }) => k.name)).toEqual(['k2', 'k3']);
    expect(second.body.nextCursor).toBeNull();
  });

  test('the new key works with its scopes only: 403 forbidden naming the scope a route needs', async () => {
    const { secret } = await createKey(acct.auth, { name: 'reader', scopes: ['coupons:read'] });
    expect((await t.http.get('/v1/coupons').set(bearer(secret))).status).toBe(200);
    const refused = await t.http.post('/v1/coupons').set(bearer(secret)).send({ name: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      error: { code: 'forbidden', message: 'this API key lacks the scope coupons:write that POST /v1/coupons needs', requiredScope: 'coupons:write' },
    });
  });

  test('a key cannot give a scope it lacks: 403 forbidden with the first scope it lacks', async () => {
    const { secret } = await createKey(acct.auth, { name: 'key admin', scopes: ['keys:write', 'coupons:write'] });
    const wider = await t.http.post('/v1/api-keys').set(bearer(secret)).send({ name: 'x', scopes: ['coupons:read', 'reports:read'] });
    expect(wider.status).toBe(403);
    expect(wider.body.error).toEqual({
      code: 'forbidden',
      message: 'scopes: this key lacks reports:read, and a key cannot give a scope it lacks',
      requiredScope: 'reports:read',
    });
    const all = await t.http.post('/v1/api-keys').set(bearer(secret)).send({ name: 'x', scopes: ['*'] });
    expect(all.status).toBe(403);
    expect(all.body.error.requiredScope).toBe('*');
    // coupons:write includes coupons:read
    const narrower = await t.http.post('/v1/api-keys').set(bearer(secret)).send({ name: 'x', scopes: ['coupons:read', 'coupons:read'] });
    expect(narrower.status).toBe(201);
    expect(narrower.body.apiKey.scopes).toEqual(['coupons:read']);
    // without keys:write the route itself is refused
    const { secret: reader } = await createKey(acct.auth, { name: 'r', scopes: ['coupons:read'] });
    const noKeys = await t.http.post('/v1/api-keys').set(bearer(reader)).send({ name: 'x', scopes: ['coupons:read'] });
    expect(noKeys.status).toBe(403);
    expect(noKeys.body.error.requiredScope).toBe('keys:write');
  });

  test('an unknown scope, no scope, or an expiry not in the future is 400 naming the field', async () => {
    const unknown = await t.http.post('/v1/api-keys').set(acct.auth).send({ name: 'x', scopes: ['coupons:read', 'coupons:delete'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'validation_failed', field: 'scopes[1]' });
    const none = await t.http.post('/v1/api-keys').set(acct.auth).send({ name: 'x', scopes: [] });
    expect(none.status).toBe(400);
    expect(none.body.error.field).toBe('scopes');
    const past = await t.http.post('/v1/api-keys').set(acct.auth).send({ name: 'x', scopes: ['coupons:read'], expiresAt: START });
    expect(past.status).toBe(400);
    expect(past.body.error).toEqual({ code: 'validation_failed', message: 'expiresAt: must be in the future', field: 'expiresAt' });
  });

  test('a key with an expiry works until then and is 401 from that instant', async () => {
    const { secret, apiKey } = await createKey(acct.auth, { name: 'temp', scopes: ['coupons:read'], expiresAt: '2027-03-01T12:00:00+01:00' });
    expect(apiKey.expiresAt).toBe('2027-03-01T11:00:00.000Z');
    clock.set('2027-03-01T10:59:59.999Z');
    expect((await t.http.get('/v1/coupons').set(bearer(secret))).status).toBe(200);
    clock.set('2027-03-01T11:00:00.000Z');
    const late = await t.http.get('/v1/coupons').set(bearer(secret));
    expect(late.status).toBe(401);
    expect(late.body.error).toEqual({ code: 'unauthorized', message: 'the API key has expired' });
  });
});

describe('current, lastUsedAt', () => {
  test('GET /v1/api-keys/current answers the calling key whatever its scopes; lastUsedAt moves at most once a minute', async () => {
    const { secret, apiKey } = await createKey(acct.auth, { name: 'ci', scopes: ['coupons:read'] });
    clock.set('2027-03-01T12:00:00.000Z');
    const first = await t.http.get('/v1/api-keys/current').set(bearer(secret));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ...apiKey, lastUsedAt: '2027-03-01T12:00:00.000Z' });
    clock.set('2027-03-01T12:00:59.999Z');
    expect((await t.http.get('/v1/api-keys/current').set(bearer(secret))).body.lastUsedAt).toBe('2027-03-01T12:00:00.000Z');
    clock.set('2027-03-01T12:01:00.000Z');
    expect((await t.http.get('/v1/api-keys/current').set(bearer(secret))).body.lastUsedAt).toBe('2027-03-01T12:01:00.000Z');
  });
});

describe('rolling and revoking', () => {
  test('a roll answers a new secret; the replaced one keeps working for expiresInSeconds, then 401', async () => {
    const { secret: old, apiKey } = await createKey(acct.auth, { name: 'rolled', scopes: ['coupons:read'] });
    clock.set('2027-03-01T13:00:00.000Z');
    const res = await t.http.post(`/v1/api-keys/${apiKey.id}/roll`).set(acct.auth).send({ expiresInSeconds: 3600 });
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(/^cf_[A-Za-z0-9_-]{32}$/);
    expect(res.body.secret).not.toBe(old);
    expect(res.body.apiKey).toEqual({ ...apiKey, prefix: res.body.secret.slice(0, 8) });
    const fresh = res.body.secret as string;

    clock.set('2027-03-01T13:59:59.999Z');
    expect((await t.http.get('/v1/coupons').set(bearer(old))).status).toBe(200);
    expect((await t.http.get('/v1/coupons').set(bearer(fresh))).status).toBe(200);
    const current = await t.http.get('/v1/api-keys/current').set(bearer(old));
    expect(current.body.id).toBe(apiKey.id);
    clock.set('2027-03-01T14:00:00.000Z');
    expect((await t.http.get('/v1/coupons').set(bearer(old))).status).toBe(401);
    expect((await t.http.get('/v1/coupons').set(bearer(fresh))).status).toBe(200);
  });

  test('without a body the overlap is a day; with 0 the old secret stops at once; a second roll ends the first secret', async () => {
    const { secret: s1, apiKey } = await createKey(acct.auth, { name: 'rolled twice', scopes: ['coupons:read'] });
    const r2 = await t.http.post(`/v1/api-keys/${apiKey.id}/roll`).set(acct.auth);
    expect(r2.status).toBe(200);
    clock.set('2027-03-02T09:59:59.999Z');
    expect((await t.http.get('/v1/coupons').set(bearer(s1))).status).toBe(200);
    const r3 = await t.http.post(`/v1/api-keys/${apiKey.id}/roll`).set(acct.auth).send({ expiresInSeconds: 600 });
    expect((await t.http.get('/v1/coupons').set(bearer(s1))).status).toBe(401);
    expect((await t.http.get('/v1/coupons').set(bearer(r2.body.secret))).status).toBe(200);
    const r4 = await t.http.post(`/v1/api-keys/${apiKey.id}/roll`).set(acct.auth).send({ expiresInSeconds: 0 });
    expect((await t.http.get('/v1/coupons').set(bearer(r3.body.secret))).status).toBe(401);
    expect((await t.http.get('/v1/coupons').set(bearer(r4.body.secret))).status).toBe(200);
    const bad = await t.http.post(`/v1/api-keys/${apiKey.id}/roll`).set(acct.auth).send({ expiresInSeconds: 604801 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('expiresInSeconds');
  });

  test('a key may roll only a key whose scopes it holds (the roll hands over the key)', async () => {
    const { secret: admin } = await createKey(acct.auth, { name: 'keys only', scopes: ['keys:write', 'coupons:read'] });
    const { apiKey: wide } = await createKey(acct.auth, { name: 'wide', scopes: ['coupons:write'] });
    const res = await t.http.post(`/v1/api-keys/${wide.id}/roll`).set(bearer(admin));
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'forbidden', message: 'this key lacks coupons:write, which the key to roll holds', requiredScope: 'coupons:write' });
  });

  test('a revoked key is 401 from then on, gone from the list and 404 by id', async () => {
    const { secret, apiKey } = await createKey(acct.auth, { name: 'doomed', scopes: ['coupons:read'] });
    expect((await t.http.get('/v1/coupons').set(bearer(secret))).status).toBe(200);
    const del = await t.http.delete(`/v1/api-keys/${apiKey.id}`).set(acct.auth);
    expect(del.status).toBe(204);
    const after = await t.http.get('/v1/coupons').set(bearer(secret));
    expect(after.status).toBe(401);
    expect(after.body.error).toEqual({ code: 'unauthorized', message: 'invalid API key' });
    expect((await t.http.get(`/v1/api-keys/${apiKey.id}`).set(acct.auth)).status).toBe(404);
    expect((await t.http.delete(`/v1/api-keys/${apiKey.id}`).set(acct.auth)).status).toBe(404);
    expect((await t.http.post(`/v1/api-keys/${apiKey.id}/roll`).set(acct.auth)).status).toBe(404);
    const list = await t.http.get('/v1/api-keys?limit=500').set(acct.auth);
    expect(list.body.data.map((k: { id: string }) => k.id)).not.toContain(apiKey.id);
    // another account's key is not found either
    const other = await t.createAccount();
    const otherKey = (await t.http.get('/v1/api-keys/current').set(other.auth)).body.id;
    expect((await t.http.delete(`/v1/api-keys/${otherKey}`).set(acct.auth)).status).toBe(404);
    expect((await t.http.get('/v1/api-keys/current').set(other.auth)).status).toBe(200);
  });

  test('a key may revoke itself', async () => {
    const { secret, apiKey } = await createKey(acct.auth, { name: 'self', scopes: ['keys:write'] });
    expect((await t.http.delete(`/v1/api-keys/${apiKey.id}`).set(bearer(secret))).status).toBe(204);
    expect((await t.http.get('/v1/api-keys/current').set(bearer(secret))).status).toBe(401);
  });
});

describe('the migration', () => {
  const env = testEnv();
  let orm: Orm | undefined;
  afterAll(async () => {
    await orm?.close(true);
    await dropDatabase(env.dbName);
  });

  test('keys that existed before scopes keep working with every scope, named default', async () => {
    await ensureDatabase(env.databaseUrl);
    orm = await createOrm({ databaseUrl: env.databaseUrl, poolMax: 2 });
    await orm.migrator.up({ to: 'Migration20261125000500_growth' });
    const em = orm.em.fork();
    const [{ id }] = await em.execute("insert into accounts (name) values ('Old') returning id");
    await em.execute('insert into api_keys (account_id, key_hash, key_prefix) values (?, ?, ?)', [id, sha256('cf_old'), 'cf_old']);
    await orm.migrator.up({ to: 'Migration20261126000600_api_key_scopes' });
    const rows = await orm.em.fork().execute('select name, scopes, expires_at, last_used_at from api_keys');
    expect(rows).toEqual([{ name: 'default', scopes: ['*'], expires_at: null, last_used_at: null }]);
  });
});
