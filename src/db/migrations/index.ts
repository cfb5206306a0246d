import { Migration20261122000000_initial } from './Migration20261122000000_initial';
import { Migration20261122010400_code_list_indexes } from './Migration20261122010400_code_list_indexes';
import { Migration20261122010800_expiry_indexes } from './Migration20261122010800_expiry_indexes';
import { Migration20261122010900_report_indexes } from './Migration20261122010900_report_indexes';
import { Migration20261122011000_drop_overlapping_indexes } from './Migration20261122011000_drop_overlapping_indexes';
import { Migration20261122011100_subscription_lookup_index } from './Migration20261122011100_subscription_lookup_index';
import { Migration20261125000400_webhooks } from './Migration20261125000400_webhooks';
import { Migration20261125000500_growth } from './Migration20261125000500_growth';
import { Migration20261126000600_api_key_scopes } from './Migration20261126000600_api_key_scopes';
import { Migration20261126000700_audit_records } from './Migration20261126000700_audit_records';
import { Migration20261206103000_webhook_enabled_spans } from './Migration20261206103000_webhook_enabled_spans';
import { Migration20261206120000_redemption_requests_without_status } from './Migration20261206120000_redemption_requests_without_status';
import { Migration20261210000000_checkout } from './Migration20261210000000_checkout';
import { Migration20261212000000_coupon_name_sort_index } from './Migration20261212000000_coupon_name_sort_index';
import { Migration20261214000000_report_rollups } from './Migration20261214000000_report_rollups';
import { Migration20261216000000_report_code_order } from './Migration20261216000000_report_code_order';
import { Migration20261218000000_invoice_subscription_index } from './Migration20261218000000_invoice_subscription_index';
import { Migration20261220000000_codes_count_hot } from './Migration20261220000000_codes_count_hot';

/** Every migration, in order. New migrations are appended here. */
export const migrationsList = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
  { name: 'Migration20261122010400_code_list_indexes', class: Migration20261122010400_code_list_indexes },
  { name: 'Migration20261122010800_expiry_indexes', class: Migration20261122010800_expiry_indexes },
  { name: 'Migration20261122010900_report_indexes', class: Migration20261122010900_report_indexes },
  { name: 'Migration20261122011000_drop_overlapping_indexes', class: Migration20261122011000_drop_overlapping_indexes },
  { name: 'Migration20261122011100_subscription_lookup_index', class: Migration20261122011100_subscription_lookup_index },
  { name: 'Migration20261125000400_webhooks', class: Migration20261125000400_webhooks },
  { name: 'Migration20261125000500_growth', class: Migration20261125000500_growth },
  { name: 'Migration20261126000600_api_key_scopes', class: Migration20261126000600_api_key_scopes },
  { name: 'Migration20261126000700_audit_records', class: Migration20261126000700_audit_records },
  { name: 'Migration20261206103000_webhook_enabled_spans', class: Migration20261206103000_webhook_enabled_spans },
  { name: 'Migration20261206120000_redemption_requests_without_status', class: Migration20261206120000_redemption_requests_without_status },
  { name: 'Migration20261210000000_checkout', class: Migration20261210000000_checkout },
  { name: 'Migration20261212000000_coupon_name_sort_index', class: Migration20261212000000_coupon_name_sort_index },
  { name: 'Migration20261214000000_report_rollups', class: Migration20261214000000_report_rollups },
  { name: 'Migration20261216000000_report_code_order', class: Migration20261216000000_report_code_order },
  { name: 'Migration20261218000000_invoice_subscription_index', class: Migration20261218000000_invoice_subscription_index },
  { name: 'Migration20261220000000_codes_count_hot', class: Migration20261220000000_codes_count_hot },
];
