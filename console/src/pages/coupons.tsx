import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { apiPath, get, type CouponPage, type CouponStatus } from '../api';
import { useAccount } from '../app';
import { Pager, Status, TableState, cursorNav } from '../components';
import { dateOnly, discountText, durationText, int } from '../format';
import { Link, pagePath, setSearch, useLocation } from '../router';
import { ScopedLink } from '../scopes';

const STATUSES: readonly CouponStatus[] = ['active', 'draft', 'scheduled', 'disabled', 'expired', 'exhausted', 'archived'];

export function CouponList() {
  const account = useAccount();
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const status = search.get('status') ?? '';
  const nav = cursorNav(search);
  const cursor = nav.cursor;
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);

  const list = useQuery({
    queryKey: ['coupons', q, status, cursor],
    queryFn: () => get<CouponPage>(apiPath`/v1/coupons`, { q, status, cursor, limit: 25 }),
  });
  const go = (p: Record<string, string | undefined>) => setSearch('/coupons', { q, status, ...p });
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
        onClear={() => setSearch('/coupons', {})}
        empty={
          <>
            <p>No coupons yet. A coupon holds the discount terms; its codes are what customers type.</p>
            <ScopedLink scope="coupons:write" className="button primary" to="/coupons/new">Create your first coupon</ScopedLink>
          </>
        }
      />
      {list.data && list.data.data.length > 0 && (
        <table>
          <caption>Coupons{filtered ? ' matching the filters' : ''}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Code</th>
              <th scope="col">Discount</th>
              <th scope="col">Duration</th>
              <th scope="col">Redeemed</th>
              <th scope="col">Expires</th>
              <th scope="col">Status</th>
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
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Coupon pages" nav={nav} nextCursor={list.data?.nextCursor} go={go} />
    </>
  );
}
