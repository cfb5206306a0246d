/**
 * The triggers that mark what the growth report rollups must fold (src/repositories/growth-reports/
 * rollups.ts): every change to a report input inserts a row into `report_dirty` in the changing
 * transaction itself, so no write path can forget it. A mark names an (account, subscription)
 * whose contributions must be recomputed, or (subscription null) an account whose rollups must be
 * rebuilt because its time zone changed. Declared once here, used by the entities (so a schema
 * created from them has the triggers) and by the migration that made them.
 */

export interface TriggerDef {
  name: string;
  timing: 'after';
  events: ('insert' | 'update')[];
  forEach: 'row' | 'statement';
  /** the function and the trigger, as SQL */
  expression: string;
}

const ROW_FN = `create or replace function report_dirty_row_fn() returns trigger language plpgsql as $$
begin
  insert into report_dirty (account_id, subscription_id) values (new.account_id, new.subscription_id);
  return null;
end $$`;

const INSERTED_FN = `create or replace function report_dirty_inserted_fn() returns trigger language plpgsql as $$
begin
  insert into report_dirty (account_id, subscription_id) select distinct account_id, subscription_id from inserted;
  return null;
end $$`;

/** A statement trigger marking the (account, subscription) of every row a statement inserted. */
const inserted = (table: string): TriggerDef => ({
  name: `report_dirty_${table}_inserted`, timing: 'after', events: ['insert'], forEach: 'statement',
  expression: `${INSERTED_FN};
create trigger report_dirty_${table}_inserted after insert on ${table} referencing new table as inserted for each statement execute function report_dirty_inserted_fn()`,
});

/** A row trigger marking a row's (account, subscription) when `when` holds of an update of `columns`. */
const updated = (name: string, table: string, columns: string[], when: string): TriggerDef => ({
  name, timing: 'after', events: ['update'], forEach: 'row',
  expression: `${ROW_FN};
create trigger ${name} after update of ${columns.join(', ')} on ${table} for each row when (${when}) execute function report_dirty_row_fn()`,
});

const changedAny = (columns: string[]) => columns.map((c) => `old.${c} is distinct from new.${c}`).join(' or ');

/** redemptions: inserted; voided or un-voided, or moved to another subscription, coupon or instant. */
export const REDEMPTION_TRIGGERS: TriggerDef[] = [
  inserted('redemptions'),
  updated('report_dirty_redemptions_voided', 'redemptions', ['status', 'subscription_id', 'coupon_id', 'created_at'],
    `(old.status = 'voided') is distinct from (new.status = 'voided') or ${changedAny(['subscription_id', 'coupon_id', 'created_at'])}`),
];

/** invoices: inserted; paid, or any figure the reports read changed. */
const INVOICE_COLUMNS = ['paid', 'total', 'currency', 'period_start', 'created_at', 'subscription_id'];
export const INVOICE_TRIGGERS: TriggerDef[] = [
  inserted('invoices'),
  updated('report_dirty_invoices_changed', 'invoices', INVOICE_COLUMNS, changedAny(INVOICE_COLUMNS)),
];

/** invoice_discounts (the ledger): inserted, marked under their redemption's subscription. */
export const LEDGER_TRIGGERS: TriggerDef[] = [
  {
    name: 'report_dirty_ledger_inserted', timing: 'after', events: ['insert'], forEach: 'statement',
    expression: `create or replace function report_dirty_ledger_inserted_fn() returns trigger language plpgsql as $$
begin
  insert into report_dirty (account_id, subscription_id)
  select distinct r.account_id, r.subscription_id from inserted d join redemptions r on r.id = d.redemption_id;
  return null;
end $$;
create trigger report_dirty_ledger_inserted after insert on invoice_discounts referencing new table as inserted for each statement execute function report_dirty_ledger_inserted_fn()`,
  },
];

/** accounts: a time zone change rebuilds the account's rollups (their days are local days). */
export const ACCOUNT_TRIGGERS: TriggerDef[] = [
  {
    name: 'report_dirty_account_zone', timing: 'after', events: ['update'], forEach: 'row',
    expression: `create or replace function report_dirty_account_zone_fn() returns trigger language plpgsql as $$
begin
  insert into report_dirty (account_id, subscription_id) values (new.id, null);
  return null;
end $$;
create trigger report_dirty_account_zone after update of time_zone on accounts for each row when (old.time_zone is distinct from new.time_zone) execute function report_dirty_account_zone_fn()`,
  },
];
