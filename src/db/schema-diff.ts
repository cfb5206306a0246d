import { randomBytes } from 'node:crypto';
import { createOrm, dropDatabase, ensureDatabase, migrate } from './orm';

/**
 * The SQL that would bring a database migrated to the latest migration to what the entities
 * describe: empty when entities and migrations agree, otherwise the body of the next migration.
 * Works on a scratch database beside the one the URL names, and drops it afterwards.
 */
export async function pendingSchemaSql(databaseUrl: string): Promise<string> {
  const url = new URL(databaseUrl);
  url.pathname = `/couponflow_schema_diff_${process.pid}_${randomBytes(4).toString('hex')}`;
  const scratchUrl = url.toString();
  await ensureDatabase(scratchUrl);
  try {
    const orm = await createOrm({ databaseUrl: scratchUrl, poolMax: 2 });
    try {
      await migrate(orm);
      return (await orm.schema.getUpdateSchemaSQL({ wrap: false })).trim();
    } finally {
      await orm.close(true);
    }
  } finally {
    await dropDatabase(scratchUrl);
  }
}
