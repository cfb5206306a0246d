import { useQuery } from '@tanstack/react-query';
import { apiPath, download, get, withQuery, type AttributionReport, type CodeReportPage, type ReportSort } from '../api';
import { useAccount } from '../app';
import { Pager, TableState, cursorNav } from '../components';
import { DateRangePicker, readDateRange } from '../date-range';
import { int, money, percent } from '../format';
import { Link, pagePath, setSearch, useLocation } from '../router';

const SORTS: { key: ReportSort; label: string }[] = [
  { key: '-redemptions', label: 'Redemptions' },
  { key: '-converted', label: 'Converted' },
  { key: '-conversionRate', label: 'Conversion' },
  { key: '-revenue', label: 'Revenue' },
  { key: '-discount', label: 'Discount' },
];

const cur = (m: Record<string, number>, c: string) => money(m[c] ?? 0, c);

function SortHeader({ sortKey, label, sort, onSort }: { sortKey: string; label: string; sort: string; onSort: (s: string) => void }) {
  const active = sort === sortKey;
  return (
    <th scope="col" aria-sort={active ? 'descending' : undefined}>
      <button type="button" className="sort" onClick={() => onSort(sortKey)}>
        {label}
        <span aria-hidden="true">{active ? ' ▼' : ''}</span>
      </button>
    </th>
  );
}

export function Performance() {
  const account = useAccount();
  const { search } = useLocation();
  const sort = search.get('sort') ?? '-redemptions';
  const channel = search.get('channel') ?? '';
  const partner = search.get('partner') ?? '';
  const nav = cursorNav(search);
  const cursor = nav.cursor;
  const range = readDateRange(search, account.timeZone);
  const { from, to } = range;
  /** The range as the URL holds it, kept when other parameters change. */
  const kept = { range: search.get('range') ?? undefined, from: search.get('from') ?? undefined, to: search.get('to') ?? undefined };
  const go = (p: Record<string, string | undefined>) => setSearch('/performance', { sort, channel, partner, ...kept, ...p });

  const codes = useQuery({
    queryKey: ['report-codes', sort, channel, partner, cursor],
    queryFn: () => get<CodeReportPage>(apiPath`/v1/reports/codes`, { sort, channel, partner, cursor, limit: 25 }),
  });
  const byChannel = useQuery({ queryKey: ['attribution', 'channel', from, to], queryFn: () => get<AttributionReport>(apiPath`/v1/reports/attribution`, { groupBy: 'channel', from, to }) });
  const byPartner = useQuery({ queryKey: ['attribution', 'partner', from, to], queryFn: () => get<AttributionReport>(apiPath`/v1/reports/attribution`, { groupBy: 'partner', from, to }) });
  const referrers = useQuery({
    queryKey: ['attribution', 'referrer', from, to],
    queryFn: () => get<AttributionReport>(apiPath`/v1/reports/attribution`, { groupBy: 'referrer', sort: '-converted', from, to }),
  });
  const rangeWords = `${range.words} (${account.timeZone})`;
  const c = account.currency;
  const rows = codes.data?.data ?? [];
  const filtered = channel !== '' || partner !== '';

  return (
    <>
      <div className="page-head">
        <h1>Performance</h1>
        <button type="button" onClick={() => void download(withQuery(apiPath`/v1/reports/codes.csv`, { sort, channel, partner }), 'codes-report.csv')}>
          Export codes report (CSV)
        </button>
      </div>
      <DateRangePicker range={range} zone={account.timeZone} onChange={(p) => go({ ...p, ...nav.first })} />
      <section aria-labelledby="codes-report-h">
        <h2 id="codes-report-h">Codes</h2>
        <p>Every redemption of each code, whatever its date: the API’s codes report takes no date range. The tables below cover {rangeWords}.</p>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            const fd = new FormData(e.currentTarget);
            go({ channel: String(fd.get('channel') ?? '').trim(), partner: String(fd.get('partner') ?? '').trim(), ...nav.first });
          }}
        >
          <div className="field">
            <label htmlFor="perf-channel">Channel</label>
            <input id="perf-channel" name="channel" defaultValue={channel} key={`c-${channel}`} />
          </div>
          <div className="field">
            <label htmlFor="perf-partner">Partner</label>
            <input id="perf-partner" name="partner" defaultValue={partner} key={`p-${partner}`} />
          </div>
          <button type="submit">Filter</button>
        </form>
        <TableState query={codes} rows={rows.length} noun="codes" filtered={filtered || cursor !== ''} onClear={() => setSearch('/performance', { sort, ...kept })} empty={<p>No codes yet. <Link to="/coupons/new">Create a coupon</Link> to start.</p>} />
        {rows.length > 0 && (
          <table>
            <caption>Codes by {SORTS.find((s) => s.key === sort)?.label.toLowerCase() ?? sort}, highest first (money in {c})</caption>
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Channel</th>
                <th scope="col">Partner</th>
                <SortHeader sortKey="-redemptions" label="Redemptions" sort={sort} onSort={(s) => go({ sort: s, ...nav.first })} />
                <th scope="col">Customers</th>
                <SortHeader sortKey="-converted" label="Converted" sort={sort} onSort={(s) => go({ sort: s, ...nav.first })} />
                <SortHeader sortKey="-conversionRate" label="Conversion" sort={sort} onSort={(s) => go({ sort: s, ...nav.first })} />
                <th scope="col">Active / churned</th>
                <SortHeader sortKey="-discount" label="Discount" sort={sort} onSort={(s) => go({ sort: s, ...nav.first })} />
                <SortHeader sortKey="-revenue" label="Revenue" sort={sort} onSort={(s) => go({ sort: s, ...nav.first })} />
                <th scope="col">Avg. lifetime value</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.couponId}-${r.code ?? 'direct'}`}>
                  <th scope="row">
                    <Link to={pagePath`/coupons/${r.couponId}`}><code>{r.code ?? '(direct)'}</code></Link>
                    {r.deleted ? ' (deleted)' : ''}
                  </th>
                  <td>{r.attribution?.channel ?? '—'}</td>
                  <td>{r.attribution?.partner ?? '—'}</td>
                  <td>{int(r.redemptions)}</td>
                  <td>{int(r.customers)}</td>
                  <td>{int(r.converted)}</td>
                  <td>{percent(r.conversionRate)}</td>
                  <td>{int(r.active)} / {int(r.churned)}</td>
                  <td>{cur(r.discount, c)}</td>
                  <td>{cur(r.revenue, c)}</td>
                  <td>{cur(r.averageLifetimeValue, c)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager label="Codes report pages" nav={nav} nextCursor={codes.data?.nextCursor} go={go} />
      </section>
      <GroupTable title="By channel" keyLabel="Channel" query={byChannel} currency={c} range={rangeWords} />
      <GroupTable title="By partner" keyLabel="Partner" query={byPartner} currency={c} range={rangeWords} />
      <GroupTable title="Referral leaderboard" keyLabel="Referrer customer" query={referrers} currency={c} range={rangeWords} caption="Referrers by converted signups" />
    </>
  );
}

function GroupTable({ title, keyLabel, query, currency, caption, range }: { title: string; keyLabel: string; query: ReturnType<typeof useQuery<AttributionReport>>; currency: string; caption?: string; range: string }) {
  const id = `g-${keyLabel.replace(/\W+/g, '-').toLowerCase()}`;
  const rows = query.data?.data ?? [];
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <TableState query={query} rows={rows.length} noun={`${title.toLowerCase()} figures`} empty={<p>No redemptions created {range.startsWith('last') ? 'in the ' : 'from '}{range}.</p>} />
      {rows.length > 0 && (
        <table>
          <caption>{caption ?? `Redemptions ${title.toLowerCase()}`}, created {range.startsWith('last') ? 'in the ' : 'from '}{range} (money in {currency})</caption>
          <thead>
            <tr>
              <th scope="col">{keyLabel}</th>
              <th scope="col">Redemptions</th>
              <th scope="col">Customers</th>
              <th scope="col">Converted</th>
              <th scope="col">Conversion</th>
              <th scope="col">Active / churned</th>
              <th scope="col">Discount</th>
              <th scope="col">Revenue</th>
              <th scope="col">Avg. lifetime value</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key ?? '(none)'}>
                <th scope="row">{r.key ?? '(none)'}</th>
                <td>{int(r.redemptions)}</td>
                <td>{int(r.customers)}</td>
                <td>{int(r.converted)}</td>
                <td>{percent(r.conversionRate)}</td>
                <td>{int(r.active)} / {int(r.churned)}</td>
                <td>{cur(r.discount, currency)}</td>
                <td>{cur(r.revenue, currency)}</td>
                <td>{cur(r.averageLifetimeValue, currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
