import { startTestApp, type TestApp } from '../helpers/harness';
import { sql } from 'kysely';
import { CODE_LOOKUP_SQL, codeLookupSql } from '../../src/repositories/codes';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** The plan of a query with sequential scans priced out, so any scan left means no index fits it. */
async function plan(sql: string, params: unknown[]): Promise<string> {
  return t.running.ctx.orm.em.fork().transactional(async (em) => {
    await em.execute('set local enable_seqscan = off');
    const rows = await em.execute(`explain ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}

test('the code lookup of every redemption, validation and GET is served by the partial indexes, never a table scan', async () => {
  const acct = await t.createAccount();
  const p = await plan(CODE_LOOKUP_SQL, [acct.id, 'SUMMER', acct.id, 'SUMMER']);
  expect(p).toContain('codes_live_code_unique');
  expect(p).toContain('codes_archived_code_idx');
  expect(p).not.toContain('Seq Scan');
});

test('the code lookup as the repositories run it (bound parameters) is served by the same partial indexes', async () => {
  const acct = await t.createAccount();
  const p = await t.running.ctx.orm.em.fork().transactional(async (em) => {
    const db = em.getKysely();
    await sql`set local enable_seqscan = off`.execute(db);
    const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${codeLookupSql(sql`${acct.id}`, sql`${'SUMMER'}`)}`.execute(db);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
  expect(p).toContain('codes_live_code_unique');
  expect(p).toContain('codes_archived_code_idx');
  expect(p).not.toContain('Seq Scan');
});
