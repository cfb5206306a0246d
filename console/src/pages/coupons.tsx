import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { apiPath, get, type CouponPage, type CouponSort, type CouponStatus } from '../api';
import { useAccount } from '../app';
import { Pager, Status, TableState, cursorNav } from '../components';
import { dateOnly, dateTime, discountText, durationText, int } from '../format';
import { Link, pagePath, setSearch, useLocation } from '../router';
import { ScopedLink } from '../scopes';
import { SortableHeader } from '../sort-header';

const SORTS: Record<CouponSort, string> = {
  createdAt: 'oldest first',
  '-createdAt': 'newest first',
  name: 'by name, A to Z',
  '-name': 'by name, Z to A',
  timesRedeemed: 'by redemptions, fewest first',
  '-timesRedeemed': 'by redemptions, most first',
};
const isSort = (s: string): s is CouponSort => s in SORTS;

const STATUSES: readonly CouponStatus[] = ['active', 'draft', 'scheduled', 'disabled', 'expired', 'exhausted', 'archived'];

export function CouponList() {
  const account = useAccount();
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const status = search.get('status') ?? '';
  const given = search.get('sort') ?? '';
  const sort: CouponSort = isSort(given) ? given : 'createdAt';
  const nav = cursorNav(search);
  const cursor = nav.cursor;
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);

  const list = useQuery({
    queryKey: ['coupons', q, status, sort, cursor],
    queryFn: () => get<CouponPage>(apiPath`/v1/coupons`, { q, status, sort: sort === 'createdAt' ? undefined : sort, cursor, limit: 25 }),
  });
  const go = (p: Record<string, string | undefined>) => setSearch('/coupons', { q, status, sort: sort === 'createdAt' ? undefined : sort, ...p });
  const onSort = (s: string) => go({ sort: s === 'createdAt' ? undefined : s, ...nav.first });
  const filtered = q !== '' || status !== '';

  return (
    <>
      <div className="page-head">
        <h1>Coupons</h1>
        <ScopedLink scope="coupons:write" className="button primary" to="/coupons/new">Create coupon</ScopedLink>
      </div>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ q: text.trim(), ...nav.first });
        }}
      >
        <div className="field">
          <label htmlFor="coupon-search">Search by name</label>
          <input id="coupon-search" type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="coupon-status">Status</label>
          <select id="coupon-status" value={status} onChange={(e) => go({ status: e.target.value, ...nav.first })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>{s[0].toUpperCase() + s.slice(1)}</option>
            ))}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      <TableState
        query={list}
        rows={list.data?.data.length ?? 0}
        noun="coupons"
        filtered={filtered || cursor !== ''}
        onClear={() => setSearch('/coupons', { sort: sort === 'createdAt' ? undefined : sort })}
        empty={
          <>
            <p>No coupons yet. A coupon holds the discount terms; its codes are what customers type.</p>
            <ScopedLink scope="coupons:write" className="button primary" to="/coupons/new">Create your first coupon</ScopedLink>
          </>
        }
      />
      {list.data && list.data.data.length > 0 && (
        <table>
          <caption>Coupons{filtered ? ' matching the filters' : ''}{sort === 'createdAt' ? '' : `, ${SORTS[sort]}`}</caption>
          <thead>
            <tr>
              <SortableHeader field="name" label="Name" sort={sort} onSort={onSort} />
              <th scope="col">Code</th>
              <th scope="col">Discount</th>
              <th scope="col">Duration</th>
              <SortableHeader field="timesRedeemed" label="Redeemed" sort={sort} first="desc" onSort={onSort} />
              <th scope="col">Expires</th>
              <th scope="col">Status</th>
              <SortableHeader field="createdAt" label={`Created (${account.timeZone})`} sort={sort} first="desc" onSort={onSort} />
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((c) => (
              <tr key={c.id}>
                <td><Link to={pagePath`/coupons/${c.id}`}>{c.name}</Link></td>
                <td><code>{c.code ?? '—'}</code></td>
                <td>{discountText(c.discount)}</td>
                <td>{durationText(c.duration)}</td>
                <td>{int(c.timesRedeemed)}{c.limits.maxRedemptions ? ` of ${int(c.limits.maxRedemptions)}` : ''}</td>
                <td>{c.expiresAt ? dateOnly(c.expiresAt, c.timeZone || account.timeZone) : 'Never'}</td>
                <td><Status value={c.status} /></td>
                <td>{dateTime(c.createdAt, account.timeZone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Coupon pages" nav={nav} nextCursor={list.data?.nextCursor} go={go} />
    </>
  );
}
