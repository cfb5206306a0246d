import { useQuery } from '@tanstack/react-query';
import { apiPath, download, get, withQuery, type AttributionReport, type CodeReportPage, type ReportSort } from '../api';
import { useAccount } from '../app';
import { Pager, TableState, cursorNav } from '../components';
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
  const go = (p: Record<string, string | undefined>) => setSearch('/performance', { sort, channel, partner, ...p });

  const codes = useQuery({
    queryKey: ['report-codes', sort, channel, partner, cursor],
    queryFn: () => get<CodeReportPage>(apiPath`/v1/reports/codes`, { sort, channel, partner, cursor, limit: 25 }),
  });
  const byChannel = useQuery({ queryKey: ['attribution', 'channel'], queryFn: () => get<AttributionReport>(apiPath`/v1/reports/attribution`, { groupBy: 'channel' }) });
  const byPartner = useQuery({ queryKey: ['attribution', 'partner'], queryFn: () => get<AttributionReport>(apiPath`/v1/reports/attribution`, { groupBy: 'partner' }) });
  const referrers = useQuery({
    queryKey: ['attribution', 'referrer'],
    queryFn: () => get<AttributionReport>(apiPath`/v1/reports/attribution`, { groupBy: 'referrer', sort: '-converted' }),
  });
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
      <section aria-labelledby="codes-report-h">
        <h2 id="codes-report-h">Codes</h2>
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
        <TableState query={codes} rows={rows.length} noun="codes" filtered={filtered || cursor !== ''} onClear={() => setSearch('/performance', { sort })} empty={<p>No codes yet. <Link to="/coupons/new">Create a coupon</Link> to start.</p>} />
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
      <GroupTable title="By channel" keyLabel="Channel" query={byChannel} currency={c} />
      <GroupTable title="By partner" keyLabel="Partner" query={byPartner} currency={c} />
      <GroupTable title="Referral leaderboard" keyLabel="Referrer customer" query={referrers} currency={c} caption="Referrers by converted signups" />
    </>
  );
}

function GroupTable({ title, keyLabel, query, currency, caption }: { title: string; keyLabel: string; query: ReturnType<typeof useQuery<AttributionReport>>; currency: string; caption?: string }) {
  const id = `g-${keyLabel.replace(/\W+/g, '-').toLowerCase()}`;
  const rows = query.data?.data ?? [];
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <TableState query={query} rows={rows.length} noun={`${title.toLowerCase()} figures`} empty={<p>No redemptions yet.</p>} />
      {rows.length > 0 && (
        <table>
          <caption>{caption ?? `Redemptions ${title.toLowerCase()}`} (money in {currency})</caption>
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
