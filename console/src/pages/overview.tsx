import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { apiPath, get, type AccountStats, type AttributionReport, type Timeseries } from '../api';
import { useAccount } from '../app';
import { DayChart } from '../chart';
import { Stat, TableState, errorText } from '../components';
import { DateRangePicker, readDateRange } from '../date-range';
import { int, money, percent } from '../format';
import { Link, setSearch, useLocation } from '../router';

export function Overview() {
  const account = useAccount();
  const { search } = useLocation();
  const range = readDateRange(search, account.timeZone);
  const from = range.from!;
  const to = range.to!;
  const stats = useQuery({ queryKey: ['stats', from, to], queryFn: () => get<AccountStats>(apiPath`/v1/stats`, { from, to }) });
  const conversion = useQuery({
    queryKey: ['attribution', 'channel', from, to],
    queryFn: () => get<AttributionReport>(apiPath`/v1/reports/attribution`, { groupBy: 'channel', from, to }),
  });
  const series = useQuery({
    queryKey: ['timeseries', from, to],
    queryFn: () => get<Timeseries>(apiPath`/v1/reports/timeseries`, { from, to, interval: 'day' }),
  });

  const rate = useMemo(() => {
    if (!conversion.data) return undefined;
    const redemptions = conversion.data.data.reduce((s, r) => s + r.redemptions, 0);
    const converted = conversion.data.data.reduce((s, r) => s + r.converted, 0);
    return redemptions === 0 ? null : converted / redemptions;
  }, [conversion.data]);

  const chart = useMemo(() => {
    const data = series.data?.data ?? [];
    const cur = account.currency;
    return {
      days: data.map((b) => b.start),
      redemptions: [{ label: 'Redemptions', color: '#1f5fbf', values: data.map((b) => b.redemptions) }],
      money: [
        { label: `Discount (${cur})`, color: '#b3261e', values: data.map((b) => b.discount[cur] ?? 0) },
        { label: `Revenue (${cur})`, color: '#1b7f3b', values: data.map((b) => b.revenue[cur] ?? 0) },
      ],
      totalRedemptions: data.reduce((s, b) => s + b.redemptions, 0),
      totalDiscount: data.reduce((s, b) => s + (b.discount[cur] ?? 0), 0),
      totalRevenue: data.reduce((s, b) => s + (b.revenue[cur] ?? 0), 0),
    };
  }, [series.data, account.currency]);
  const fmtMoney = useMemo(() => (v: number) => money(v, account.currency), [account.currency]);

  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <Link className="button primary" to="/coupons/new">Create coupon</Link>
      </div>
      <DateRangePicker range={range} zone={account.timeZone} onChange={(p) => setSearch('/', p)} />
      <section aria-labelledby="stats-h">
        <h2 id="stats-h">Code statistics</h2>
        <p>Codes created, signups, the top code and conversion from {from} to {to} ({account.timeZone}); active codes as of now.</p>
        {stats.isPending && <p role="status">Loading statistics…</p>}
        {stats.isError && (
          <div role="alert" className="state state-error">
            <p>Could not load statistics: {errorText(stats.error)}</p>
            <button type="button" onClick={() => void stats.refetch()}>Retry</button>
          </div>
        )}
        {stats.data && (
          <dl className="stats">
            <Stat label="Active codes" value={int(stats.data.activeCodes)} />
            <Stat label="Total codes created" value={int(stats.data.codes)} />
            <Stat label="Signups via codes" value={int(stats.data.redemptions)} />
            <Stat
              label="Top performing code"
              value={stats.data.topCode ? `${stats.data.topCode.code} (${int(stats.data.topCode.redemptions)})` : 'None yet'}
            />
            <Stat label="Conversion" value={conversion.isError ? 'Unavailable' : rate === undefined ? '…' : percent(rate)} />
          </dl>
        )}
      </section>
      <section aria-labelledby="trend-h">
        <div className="page-head">
          <h2 id="trend-h">Per day, {range.words} ({account.timeZone})</h2>
        </div>
        <TableState query={series} rows={chart.days.length} noun="the time series" />
        {series.data && chart.days.length > 0 && (
          <div className="charts">
            <DayChart
              title="Redemptions per day"
              summary={`${int(chart.totalRedemptions)} redemptions from ${from} to ${to}`}
              days={chart.days}
              series={chart.redemptions}
            />
            <DayChart
              title={`Discount and revenue per day (${account.currency})`}
              summary={`discount ${money(chart.totalDiscount, account.currency)}, revenue ${money(chart.totalRevenue, account.currency)} from ${from} to ${to}`}
              days={chart.days}
              series={chart.money}
              format={fmtMoney}
            />
          </div>
        )}
      </section>
    </>
  );
}
