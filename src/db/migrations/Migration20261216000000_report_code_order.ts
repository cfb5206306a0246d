import { Migration } from '@mikro-orm/migrations';
import { REPORT_CODE_ORDER_INDEXES } from '../entities/report-rollup';

/**
 * The codes report read in page order from the rollups (growth-reports/rollups.ts
 * `rollupOrderedPageCtes`): each `report_codes` row carries its code's text (which never
 * changes), and each sort has a partial index of the rows with a value above 0 in the page's
 * order.
 */
export class Migration20261216000000_report_code_order extends Migration {
  override name = 'Migration20261216000000_report_code_order';

  override up(): void {
    this.addSql(`
alter table report_codes add column code text collate "C" null;
update report_codes r set code = c.code from codes c where c.id = r.code_key and r.code_key <> 0;
${REPORT_CODE_ORDER_INDEXES.map((i) => `${i.sql('report_codes')};`).join('\n')}
`);
  }

  override down(): void {
    this.addSql(`
${REPORT_CODE_ORDER_INDEXES.map((i) => `drop index if exists ${i.name};`).join('\n')}
alter table report_codes drop column if exists code;
`);
  }
}
