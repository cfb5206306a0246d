import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook endpoints record the ids of the events that occur while they are enabled, one range per
 * enabled span (`enabled_event_ids`, an int8multirange), in place of the start of the latest span
 * (`since_event_id`). The relay picks an event's endpoints by whether the id is in that set, so an
 * endpoint disabled before the relay reaches an event still gets it, and one re-enabled meanwhile
 * still gets nothing that occurred while it was disabled. An enabled endpoint's open span starts
 * after its `since_event_id`; a disabled one's past spans are already relayed (nothing to keep).
 */
export class Migration20261206103000_webhook_enabled_spans extends Migration {
  override name = 'Migration20261206103000_webhook_enabled_spans';

  override up(): void {
    this.addSql(`
alter table webhook_endpoints add column enabled_event_ids int8multirange not null default '{}';
update webhook_endpoints set enabled_event_ids = int8multirange(int8range(since_event_id, null, '(]')) where status = 'enabled';
alter table webhook_endpoints alter column enabled_event_ids drop default, drop column since_event_id;
`);
  }

  override down(): void {
    this.addSql(`
alter table webhook_endpoints add column since_event_id bigint null;
update webhook_endpoints w set since_event_id = coalesce(
  (select lower(r) - 1 from unnest(w.enabled_event_ids) r where upper_inf(r)),
  (select case when is_called then last_value else last_value - 1 end from events_id_seq));
alter table webhook_endpoints alter column since_event_id set not null, drop column if exists enabled_event_ids;
`);
  }
}
