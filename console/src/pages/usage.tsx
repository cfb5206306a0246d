import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { apiPath, get, getText, saveBlob, type Coupon, type UsageStats } from '../api';
import { Notice, Stat, Status, TableState, errorText } from '../components';
import { csvCellValue, parseCsv, toCsv } from '../csv';
import { DateRangePicker, readDateRange } from '../date-range';
import { dateTime, int, money, moneyMap, percent, todayIn } from '../format';
import { Link, pagePath, setSearch, useLocation } from '../router';

const SHOWN = 500;
/** The number columns of redemptions.csv (written as numbers; every other cell is text). */
const NUMBER_COLUMNS = ['invoices', 'discount', 'revenue'];


/** Who used a coupon or one of its codes: from the coupon's redemptions.csv. */
export function Usage({ couponId }: { couponId: string }) {
  const { path, search } = useLocation();
  const code = search.get('code') ?? '';
  const coupon = useQuery({ queryKey: ['coupon', couponId], queryFn: () => get<Coupon>(apiPath`/v1/coupons/${couponId}`) });
  const csv = useQuery({ queryKey: ['usage-csv', couponId], queryFn: () => getText(apiPath`/v1/coupons/${couponId}/redemptions.csv`) });
  const stats = useQuery({
    queryKey: ['usage-stats', couponId, code],
    queryFn: () => get<UsageStats>(code ? apiPath`/v1/codes/${code}/stats` : apiPath`/v1/coupons/${couponId}/stats`),
  });
  const zone = coupon.data?.timeZone ?? 'UTC';
  const range = readDateRange(search, zone, 'all');
  const { from, to } = range;
  const table = useMemo(() => {
    if (!csv.data) return null;
    // the values themselves (the export's `'` before a formula character taken off); Export CSV puts it back
    const [header = [], ...rows] = parseCsv(csv.data).map((r) => r.map(csvCellValue));
    const col = (name: string) => header.indexOf(name);
    // the day of each redemption in the coupon's zone, against the range's days
    const inRange = (r: string[]) => {
      if (!from || !to) return true;
      const day = todayIn(zone, Date.parse(r[col('redeemed_at')] ?? ''));
      return day >= from && day <= to;
    };
    const kept = rows.filter((r) => (!code || r[col('code')]?.toUpperCase() === code.toUpperCase()) && inRange(r));
    return { header, rows: kept, col, all: rows.length };
  }, [csv.data, code, from, to, zone]);
  const name = coupon.data?.name ?? 'coupon';
  const subject = code ? `code ${code}` : `coupon ${name}`;
  const rows = table?.rows ?? [];

  return (
    <>
      <p><Link to={pagePath`/coupons/${couponId}`}>← Back to {name}</Link></p>
      <div className="page-head">
        <h1>Usage of {subject}</h1>
        <button
          type="button"
          className="primary"
          disabled={!table}
          onClick={() => table && saveBlob(new Blob([toCsv([table.header, ...table.rows], NUMBER_COLUMNS)], { type: 'text/csv' }), code ? `code-${code}-redemptions.csv` : `coupon-${couponId}-redemptions.csv`)}
        >
          Export CSV
        </button>
      </div>
      {coupon.isError && <Notice kind="error">Could not load the coupon: {errorText(coupon.error)}</Notice>}
      <DateRangePicker range={range} zone={zone} allowAll onChange={(p) => setSearch(path, { code: code || undefined, ...p })} />
      {stats.data && <p>Figures of all time (the stats routes take no date range); the redemptions below are those of {range.words} ({zone}).</p>}
      {stats.data && (
        <dl className="stats">
          <Stat label="Signups" value={int(stats.data.redemptions.total)} />
          <Stat label="Active" value={int(stats.data.redemptions.active)} />
          <Stat label="Customers" value={int(stats.data.customers)} />
          <Stat label="Conversion" value={percent(stats.data.conversionRate)} />
          <Stat label="Discount given" value={moneyMap(stats.data.discountTotal)} />
          <Stat label="Revenue" value={moneyMap(stats.data.revenue)} />
        </dl>
      )}
      <TableState
        query={csv}
        rows={rows.length}
        noun="redemptions"
        filtered={(code !== '' || range.preset !== 'all') && (table?.all ?? 0) > 0}
        onClear={() => setSearch(path, {})}
        empty={<p>Nobody has redeemed {subject} yet.</p>}
      />
      {rows.length > 0 && table && (
        <>
          <table>
            <caption>Redemptions of {subject}{range.preset === 'all' ? '' : `, ${range.words}`}{rows.length > SHOWN ? ` (first ${SHOWN} of ${int(rows.length)}; the export has all)` : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Email</th>
                <th scope="col">Code</th>
                <th scope="col">Redeemed ({zone})</th>
                <th scope="col">Status</th>
                <th scope="col">Invoices</th>
                <th scope="col">Discount</th>
                <th scope="col">Revenue</th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, SHOWN).map((r, i) => {
                const v = (n: string) => r[table.col(n)] ?? '';
                const cur = v('currency');
                return (
                  <tr key={`${v('customer_id')}-${v('redeemed_at')}-${cur}-${i}`}>
                    <td>{v('customer_id')}</td>
                    <td>{v('email') || '—'}</td>
                    <td><code>{v('code') || '(direct)'}</code></td>
                    <td>{dateTime(v('redeemed_at'), zone)}</td>
                    <td><Status value={v('status')} /></td>
                    <td>{int(Number(v('invoices')))}</td>
                    <td>{cur ? money(Number(v('discount')), cur) : '—'}</td>
                    <td>{cur ? money(Number(v('revenue')), cur) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
