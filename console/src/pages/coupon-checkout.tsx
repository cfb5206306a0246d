/**
 * A coupon's checkout panels on its detail page: the budget meter (`/stats`), its active holds
 * (`GET /v1/holds`), its earlier batches with their codes.csv (`GET /v1/batches`) and "what it
 * does", the invoices `POST /v1/previews/invoices` answers for a plan, currency, start and cycles.
 */
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import {
  ApiError,
  api,
  apiPath,
  download,
  get,
  type BatchPage,
  type Coupon,
  type HoldPage,
  type PlanPage,
  type PreviewRequestBody,
  type PreviewResult,
  type UsageStats,
} from '../api';
import { useAccount } from '../app';
import { Field, Notice, Status, TableState, errorText } from '../components';
import { dateOnly, dateTime, int, money, todayIn, zonedToIso } from '../format';

const PERIOD_TEXT = { day: 'Each calendar day', week: 'Each calendar week', month: 'Each calendar month' } as const;

/** A list paged with its cursors kept in the component (the page's URL holds the codes table's). */
function usePages() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1] ?? '';
  return {
    cursor,
    first: cursors.length === 0,
    next: (c: string) => setCursors((s) => [...s, c]),
    prev: () => setCursors((s) => s.slice(0, -1)),
  };
}

function LocalPager({ label, pages, nextCursor }: { label: string; pages: ReturnType<typeof usePages>; nextCursor: string | null | undefined }) {
  if (!nextCursor && pages.first) return null;
  return (
    <nav aria-label={label} className="pager">
      <button type="button" disabled={pages.first} onClick={pages.prev}>Previous</button>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>Next</button>
    </nav>
  );
}

/** The panels under the coupon's figures: budget, preview, active holds (EarlierBatches goes with the codes). */
export function CouponCheckout({ coupon }: { coupon: Coupon }) {
  return (
    <>
      <BudgetMeter coupon={coupon} />
      <Preview coupon={coupon} />
      <ActiveHolds coupon={coupon} />
    </>
  );
}

export function BudgetMeter({ coupon: c }: { coupon: Coupon }) {
  const budget = c.limits.budget;
  // the same query as the Performance figures: one request for both
  const stats = useQuery({ queryKey: ['coupon-stats', c.id], queryFn: () => get<UsageStats>(apiPath`/v1/coupons/${c.id}/stats`), enabled: !!budget });
  const b = stats.data?.budget;
  return (
    <section aria-labelledby="budget-h">
      <h2 id="budget-h">Discount budget</h2>
      {!budget && (
        <div className="state" role="status">
          <p>This coupon has no discount budget: its invoices may take any amount of discount. Edit the coupon to set one.</p>
        </div>
      )}
      {budget && stats.isPending && <p role="status" className="state">Loading the budget…</p>}
      {budget && stats.isError && (
        <div role="alert" className="state state-error">
          <p>Could not load the budget: {errorText(stats.error)}</p>
          <button type="button" onClick={() => void stats.refetch()}>Retry</button>
        </div>
      )}
      {budget && stats.data && !b && <p role="status" className="state">The service reports no budget figures for this coupon.</p>}
      {budget && b && (
        <>
          <p>
            {b.period ? PERIOD_TEXT[b.period] : 'Over the coupon’s whole life'}
            {b.periodStart && <>, this period since {dateTime(b.periodStart, c.timeZone)}</>}
            {'; '}
            {b.resetsAt ? <>resets {dateTime(b.resetsAt, c.timeZone)} ({c.timeZone})</> : 'never resets'}.
          </p>
          <ul className="meters">
            {Object.entries(budget.amounts).map(([cur, total]) => {
              const spent = b.spent[cur] ?? 0;
              const remaining = b.remaining[cur] ?? Math.max(0, total - spent);
              const id = `budget-${cur}`;
              return (
                <li key={cur}>
                  <label htmlFor={id}>Budget in {cur}</label>
                  <meter id={id} min={0} max={total} value={Math.min(spent, total)} low={total * 0.75} high={total * 0.9} optimum={0} />
                  <span className="meter-text">
                    {money(spent, cur)} spent of {money(total, cur)}, {money(remaining, cur)} remaining
                  </span>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}

export function ActiveHolds({ coupon: c }: { coupon: Coupon }) {
  const pages = usePages();
  const holds = useQuery({
    queryKey: ['coupon', c.id, 'holds', pages.cursor],
    queryFn: () => get<HoldPage>(apiPath`/v1/holds`, { couponId: c.id, status: 'active', limit: 25, cursor: pages.cursor }),
  });
  const rows = holds.data?.data ?? [];
  return (
    <section aria-labelledby="holds-h">
      <h2 id="holds-h">Active holds</h2>
      <p className="hint">A hold keeps one use of the coupon for a customer at checkout; it counts against the limits until it is redeemed, released or expires.</p>
      <TableState query={holds} rows={rows.length} noun="active holds" filtered={!pages.first} onClear={() => pages.prev()} empty={<p>No customer holds a use of this coupon now.</p>} />
      {rows.length > 0 && (
        <table>
          <caption>Active holds of {c.name}, soonest expiry first ({c.timeZone})</caption>
          <thead>
            <tr><th scope="col">Customer</th><th scope="col">Code</th><th scope="col">Plan</th><th scope="col">Held since</th><th scope="col">Expires</th></tr>
          </thead>
          <tbody>
            {rows.map((h) => (
              <tr key={h.id}>
                <th scope="row">{h.customerId}</th>
                <td>{h.code ? <code>{h.code}</code> : 'Direct (no code)'}</td>
                <td>{h.planId ?? '—'}</td>
                <td>{dateTime(h.createdAt, c.timeZone)}</td>
                <td>{dateTime(h.expiresAt, c.timeZone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LocalPager label="Active holds pages" pages={pages} nextCursor={holds.data?.nextCursor} />
    </section>
  );
}

export function EarlierBatches({ coupon: c }: { coupon: Coupon }) {
  const pages = usePages();
  const [failed, setFailed] = useState<string | null>(null);
  const batches = useQuery({
    queryKey: ['coupon', c.id, 'batches', pages.cursor],
    queryFn: () => get<BatchPage>(apiPath`/v1/batches`, { couponId: c.id, limit: 25, cursor: pages.cursor }),
  });
  const rows = batches.data?.data ?? [];
  return (
    <section aria-labelledby="batches-h">
      <h2 id="batches-h">Batches</h2>
      <TableState query={batches} rows={rows.length} noun="batches" filtered={!pages.first} onClear={() => pages.prev()} empty={<p>No batch of codes was generated for this coupon yet.</p>} />
      {failed && <Notice kind="error">{failed}</Notice>}
      {rows.length > 0 && (
        <table>
          <caption>Batches of {c.name}, oldest first ({c.timeZone})</caption>
          <thead>
            <tr><th scope="col">Created</th><th scope="col">Codes</th><th scope="col">Uses per code</th><th scope="col">Codes expire</th><th scope="col">Status</th><th scope="col">Codes CSV</th></tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={b.id}>
                <th scope="row">{dateTime(b.createdAt, c.timeZone)}</th>
                <td>{b.status === 'completed' ? int(b.count) : `${int(b.generated)} of ${int(b.count)}`}</td>
                <td>{b.maxRedemptionsPerCode === null ? '—' : int(b.maxRedemptionsPerCode)}</td>
                <td>{b.expiresAt ? dateOnly(b.expiresAt, c.timeZone) : 'Never'}</td>
                <td><Status value={b.status} />{b.status === 'failed' && b.error ? ` — ${b.error}` : ''}</td>
                <td>
                  {b.generated > 0 ? (
                    <button
                      type="button"
                      aria-label={`Download CSV of the batch of ${dateTime(b.createdAt, c.timeZone)}`}
                      onClick={() => {
                        setFailed(null);
                        download(apiPath`/v1/batches/${b.id}/codes.csv`, `batch-${b.id}-codes.csv`).catch((err: unknown) => setFailed(`Could not download the codes: ${errorText(err)}`));
                      }}
                    >
                      Download CSV
                    </button>
                  ) : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LocalPager label="Batches pages" pages={pages} nextCursor={batches.data?.nextCursor} />
    </section>
  );
}

/** The preview's inputs, as typed. */
interface PreviewForm {
  planId: string;
  currency: string;
  start: string;
  cycles: string;
  customerId: string;
}

/** Which input an error of POST /v1/previews/invoices belongs to. */
function previewInput(field: string | undefined): keyof PreviewForm | null {
  const f = field?.replace(/^body\./, '') ?? '';
  if (f === 'planId' || f === 'currency' || f === 'cycles') return f;
  if (f === 'startsAt') return 'start';
  if (f.startsWith('customer')) return 'customerId';
  return null;
}

export function Preview({ coupon: c }: { coupon: Coupon }) {
  const account = useAccount();
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => get<PlanPage>(apiPath`/v1/plans`, { limit: 500 }) });
  const [f, setF] = useState<PreviewForm>(() => ({ planId: '', currency: '', start: todayIn(account.timeZone), cycles: '3', customerId: 'preview-customer' }));
  const [errors, setErrors] = useState<Partial<Record<keyof PreviewForm, string>>>({});
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ currency: string; planId: string; answer: PreviewResult } | null>(null);
  const list = plans.data?.data ?? [];
  const planId = f.planId || list[0]?.id || '';
  const plan = list.find((p) => p.id === planId);
  const currency = f.currency || plan?.currency || account.currency;
  const set = (k: keyof PreviewForm, v: string) => setF((s) => ({ ...s, [k]: v }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setRefusal(null);
    const body: PreviewRequestBody = {
      customer: { id: f.customerId.trim() },
      planId,
      currency: currency.trim().toUpperCase(),
      startsAt: zonedToIso(`${f.start}T00:00`, account.timeZone),
      cycles: f.cycles.trim() === '' ? Number.NaN : Number(f.cycles),
      coupons: [{ couponId: c.id }],
    };
    try {
      const answer = await api<PreviewResult>('POST', apiPath`/v1/previews/invoices`, body);
      setResult({ currency: body.currency, planId, answer });
    } catch (err) {
      setResult(null);
      const input = err instanceof ApiError ? previewInput(err.field) : null;
      if (input && err instanceof ApiError && err.status === 400) setErrors({ [input]: errorText(err) });
      else setRefusal(err instanceof ApiError && err.status === 422 ? `The coupon would be refused: ${errorText(err)}` : `Could not preview: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="preview-h">
      <h2 id="preview-h">What it does</h2>
      <p className="hint">
        The next invoices of a new subscription with this coupon, as the invoice worker would discount them (nothing is saved). Periods follow the plan’s interval in {account.timeZone}.
      </p>
      <TableState query={plans} rows={list.length} noun="plans" empty={<p>The account has no plans yet: register them with <code>PUT /v1/plans/&#123;id&#125;</code> to preview invoices.</p>} />
      {list.length > 0 && (
        <form onSubmit={submit} className="row" noValidate>
          <Field label="Plan" error={errors.planId}>
            {(p) => (
              <select {...p} value={planId} onChange={(e) => setF((s) => ({ ...s, planId: e.target.value, currency: '' }))}>
                {list.map((pl) => (
                  <option key={pl.id} value={pl.id}>
                    {pl.name} ({pl.id}, {money(pl.price, pl.currency)}{pl.interval ? ` every ${pl.interval.count === 1 ? pl.interval.unit : `${pl.interval.count} ${pl.interval.unit}s`}` : ', one time'})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Currency" error={errors.currency}>
            {(p) => <input {...p} value={currency} maxLength={3} size={5} autoCapitalize="characters" onChange={(e) => set('currency', e.target.value)} />}
          </Field>
          <Field label={`Start date (${account.timeZone})`} error={errors.start}>
            {(p) => <input {...p} type="date" value={f.start} onChange={(e) => set('start', e.target.value)} />}
          </Field>
          <Field label="Cycles (1 to 36)" error={errors.cycles}>
            {(p) => <input {...p} inputMode="numeric" size={4} value={f.cycles} onChange={(e) => set('cycles', e.target.value)} />}
          </Field>
          <Field label="Customer id" error={errors.customerId} hint="Eligibility is checked for this customer">
            {(p) => <input {...p} value={f.customerId} onChange={(e) => set('customerId', e.target.value)} />}
          </Field>
          <button type="submit" className="primary" disabled={busy}>Preview invoices</button>
        </form>
      )}
      {refusal && <Notice kind="error">{refusal}</Notice>}
      {result && result.answer.data.length === 0 && <p role="status" className="state">No invoice in these cycles.</p>}
      {result && result.answer.data.length > 0 && (
        <table>
          <caption>
            Invoices of {result.planId} in {result.currency} with {c.name} (rounding {result.answer.rounding.replace('_', ' ')}; {account.timeZone})
          </caption>
          <thead>
            <tr>
              <th scope="col">Cycle</th><th scope="col">Period</th><th scope="col">Subtotal</th><th scope="col">Discount</th><th scope="col">Total</th><th scope="col">Credit</th>
            </tr>
          </thead>
          <tbody>
            {result.answer.data.map((inv) => (
              <tr key={inv.cycle}>
                <th scope="row">{inv.cycle}</th>
                <td>{dateOnly(inv.periodStart, account.timeZone)}{inv.periodEnd ? ` – ${dateOnly(inv.periodEnd, account.timeZone)}` : ''}</td>
                <td>{money(inv.subtotal, result.currency)}</td>
                <td>{inv.discountTotal ? `−${money(inv.discountTotal, result.currency)}` : money(0, result.currency)}</td>
                <td>{money(inv.total, result.currency)}</td>
                <td>{money(inv.credit, result.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
