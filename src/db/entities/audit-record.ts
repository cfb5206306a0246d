import { defineEntity, p } from '@mikro-orm/core';

/**
 * Who changed what (API.md "Keys, scopes and the audit log"): one row per change, written in the
 * change's own transaction; `id` orders them. Append-only: a statement-level trigger refuses
 * every UPDATE, DELETE and TRUNCATE of the table, whoever sends it. `account_id` carries no
 * foreign key, so no account deletion can remove (or be blocked by) the records of its changes.
 */
export const AuditRecord = defineEntity({
  name: 'AuditRecord',
  tableName: 'audit_records',
  indexes: [
    { name: 'audit_records_account_idx', properties: ['accountId', 'id'] },
    { name: 'audit_records_target_idx', properties: ['accountId', 'targetType', 'targetId', 'id'] },
    { name: 'audit_records_actor_idx', properties: ['accountId', 'actorId', 'id'] },
  ],
  properties: {
    id: p.bigint('number').primary().autoincrement().columnType('bigint').generated('by default as identity'),
    accountId: p.uuid(),
    at: p.datetime(),
    actorType: p.text(),
    actorId: p.text(),
    actorName: p.text(),
    action: p.text(),
    targetType: p.text(),
    targetId: p.text(),
    changes: p.json<Record<string, unknown>>(),
    requestId: p.text().nullable(),
    ip: p.text().nullable(),
  },
  // Migration20261126000700_audit_records makes the same trigger; test/integration/schema.test.ts compares them.
  triggers: [{
    name: 'audit_records_append_only',
    timing: 'before',
    events: ['update', 'delete', 'truncate'],
    forEach: 'statement',
    expression: `create or replace function audit_records_append_only_fn() returns trigger language plpgsql as $$
begin
  raise exception 'audit records cannot be changed or deleted (% refused)', tg_op using errcode = '42501';
end $$;
create trigger audit_records_append_only before update or delete or truncate on audit_records for each statement execute function audit_records_append_only_fn()`,
  }],
});
