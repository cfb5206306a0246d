import { Client } from 'pg';
import { createOrm, ensureDatabase, migrate, type Orm } from '../../src/db/orm';
import { dropDatabase, testEnv } from '../helpers/harness';

/**
 * The entities describe the whole schema the migrations make, so a migration generated from them
 * (or a schema diff) never carries unintended drops. One database is migrated; a second one is
 * created from the entities alone, and both catalogs must be identical.
 */
const migrated = testEnv();
const fromEntities = testEnv();
let orm: Orm;
let entityOrm: Orm;

beforeAll(async () => {
  await ensureDatabase(migrated.databaseUrl);
  orm = await createOrm({ databaseUrl: migrated.databaseUrl, poolMax: 2 });
  await migrate(orm);

  await ensureDatabase(fromEntities.databaseUrl);
  entityOrm = await createOrm({ databaseUrl: fromEntities.databaseUrl, poolMax: 2 });
  await entityOrm.schema.create();
});
afterAll(async () => {
  await orm?.close(true);
  await entityOrm?.close(true);
  await dropDatabase(migrated.dbName);
  await dropDatabase(fromEntities.dbName);
});

interface Catalog {
  columns: string[];
  indexes: string[];
  constraints: string[];
  triggers: string[];
}

/** Tables, columns (type, nullability, default, identity), indexes, constraints and triggers with their functions, as Postgres reports them. */
async function catalog(databaseUrl: string): Promise<Catalog> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const columns = await client.query<{ line: string }>(`
      select format('%s.%s %s %s default=%s identity=%s %s',
               table_name, column_name, data_type,
               case when is_nullable = 'YES' then 'null' else 'not null' end,
               coalesce(column_default, '-'), is_identity, coalesce(identity_generation, '-')) as line
        from information_schema.columns
       where table_schema = 'public' and table_name <> 'mikro_orm_migrations'
       order by 1`);
    const indexes = await client.query<{ line: string }>(`
      select indexdef as line from pg_indexes
       where schemaname = 'public' and tablename <> 'mikro_orm_migrations'
       order by 1`);
    const constraints = await client.query<{ line: string }>(`
      select format('%s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) as line
        from pg_constraint
       where connamespace = 'public'::regnamespace and conrelid::regclass::text <> 'mikro_orm_migrations'
       order by 1`);
    const triggers = await client.query<{ line: string }>(`
      select pg_get_triggerdef(t.oid) || E'\n' || pg_get_functiondef(t.tgfoid) as line
        from pg_trigger t join pg_class c on c.oid = t.tgrelid
       where c.relnamespace = 'public'::regnamespace and not t.tgisinternal
       order by 1`);
    return {
      columns: columns.rows.map((r) => r.line),
      indexes: indexes.rows.map((r) => r.line),
      constraints: constraints.rows.map((r) => r.line),
      // a function body created from the entity is whitespace-folded (same statements)
      triggers: triggers.rows.map((r) => r.line.replace(/\s+/g, ' ').replace(/ ?\$function\$ ?/g, '$function$')),
    };
  } finally {
    await client.end();
  }
}

test('after all migrations, the schema diff from the entities is empty', async () => {
  const sql = (await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim();
  if (sql !== '') throw new Error(`the entities do not describe the migrated schema; the diff would run:\n${sql}`);
  expect(sql).toBe('');
  // the migrator's own check compares the same way: false means no migration is needed
  await expect(orm.migrator.checkSchema()).resolves.toBe(false);
});

test('the schema created from the entities alone is the migrated schema: columns, indexes, constraints and triggers', async () => {
  const [fromMigrations, created] = await Promise.all([catalog(migrated.databaseUrl), catalog(fromEntities.databaseUrl)]);
  // the migrated schema is the one under test: every table of the migrations is present
  expect(fromMigrations.indexes).toContain(
    "CREATE UNIQUE INDEX codes_live_code_unique ON public.codes USING btree (account_id, code) WHERE ((deleted_at IS NULL) AND (state <> 'archived'::text))",
  );
  expect(fromMigrations.indexes).toContain(
    "CREATE UNIQUE INDEX coupons_live_name_unique ON public.coupons USING btree (account_id, lower(name)) WHERE (state <> 'archived'::text)",
  );
  expect(fromMigrations.columns).toContain('codes.id bigint not null default=- identity=YES BY DEFAULT');
  expect(fromMigrations.constraints).toContain(
    'redemptions redemptions_code_id_fkey FOREIGN KEY (code_id) REFERENCES codes(id)',
  );
  expect(fromMigrations.triggers.some((line) => line.startsWith(
    'CREATE TRIGGER events_id_bound BEFORE INSERT ON public.events FOR EACH STATEMENT EXECUTE FUNCTION events_id_bound_fn() ',
  ))).toBe(true);
  expect(created.columns).toEqual(fromMigrations.columns);
  expect(created.indexes).toEqual(fromMigrations.indexes);
  expect(created.constraints).toEqual(fromMigrations.constraints);
  expect(created.triggers).toEqual(fromMigrations.triggers);
});

test('queries typed from the entities use the snake_case columns, foreign keys included', async () => {
  const db = orm.em.fork().getKysely();
  const account = await db.insertInto('accounts').values({ name: 'Schema' }).returning(['id', 'time_zone']).executeTakeFirstOrThrow();
  expect(account.time_zone).toBe('UTC');
  const coupon = await db
    .insertInto('coupons')
    .values({
      account_id: account.id,
      name: 'Spring',
      state: 'active',
      discount: { type: 'percent', percent: 10 },
      duration: { type: 'once' },
      applies_to: {},
      eligibility: {},
      overflow: 'cap',
      time_zone: 'UTC',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('codes').values({ account_id: account.id, coupon_id: coupon.id, code: 'SPRING' }).execute();
  const row = await db
    .selectFrom('codes')
    .innerJoin('coupons', 'coupons.id', 'codes.coupon_id')
    .select(['codes.code', 'codes.state', 'codes.batch_id', 'codes.times_redeemed', 'coupons.name'])
    .where('codes.account_id', '=', account.id)
    .executeTakeFirstOrThrow();
  expect(row).toEqual({ code: 'SPRING', state: 'active', batch_id: null, times_redeemed: 0, name: 'Spring' });
  // property names are not columns (checked by the type check, never run)
  // @ts-expect-error couponId is the entity property; the column is coupon_id
  const byProperty = () => db.selectFrom('codes').select('couponId');
  void byProperty;

  // the foreign key the entity names is the one Postgres enforces
  const missingCoupon = '00000000-0000-4000-8000-000000000000';
  await expect(
    db.insertInto('codes').values({ account_id: account.id, coupon_id: missingCoupon, code: 'NOPE' }).execute(),
  ).rejects.toMatchObject({ code: '23503', constraint: 'codes_coupon_id_fkey' });
  // and the live-name expression index rejects the same name in another case
  await expect(
    db
      .insertInto('coupons')
      .values({
        account_id: account.id,
        name: 'SPRING',
        state: 'active',
        discount: {},
        duration: {},
        applies_to: {},
        eligibility: {},
        overflow: 'cap',
        time_zone: 'UTC',
      })
      .execute(),
  ).rejects.toMatchObject({ code: '23505', constraint: 'coupons_live_name_unique' });
});
