import { useEffect, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  ApiError,
  api,
  apiPath,
  download,
  get,
  type BadLine,
  type Batch,
  type BatchCreateBody,
  type BatchCreated,
  type Code,
  type CodeCreateBody,
  type CodePage,
  type CodePatchBody,
  type Coupon,
  type CouponVersionPage,
  type ImportResult,
  type UsageStats,
} from '../api';
import { ConfirmDialog, Field, Notice, Pager, Stat, Status, TableState, cursorNav, errorText } from '../components';
import { dateOnly, dateTime, discountText, durationText, int, isoToZoned, moneyMap, percent, zonedToIso } from '../format';
import { Link, navigate, pagePath, setSearch, useLocation } from '../router';
import { RequireScope, ScopedLink, ScopeNote, useScopes } from '../scopes';
import { AuditTrail } from '../audit';
import { CouponCheckout, EarlierBatches } from './coupon-checkout';

type Dialog =
  | { kind: 'coupon'; action: 'archive' | 'delete' | 'disable' }
  | { kind: 'code'; action: 'disable' | 'delete'; code: string }
  | { kind: 'edit-code'; code: Code }
  | null;

function attributionText(a: Code['attribution']): string {
  return [a.channel && `channel ${a.channel}`, a.partner && `partner ${a.partner}`, a.referrerCustomerId && `referred by ${a.referrerCustomerId}`].filter(Boolean).join(', ');
}

export function CouponDetail({ id }: { id: string }) {
  const client = useQueryClient();
  const coupon = useQuery({ queryKey: ['coupon', id], queryFn: () => get<Coupon>(apiPath`/v1/coupons/${id}`) });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  useEffect(() => {
    if (coupon.data) document.title = `${coupon.data.name} · Couponflow`;
  }, [coupon.data]);

  if (coupon.isPending) return <p role="status">Loading coupon…</p>;
  if (coupon.isError) {
    return (
      <div role="alert" className="state state-error">
        <p>Could not load the coupon: {errorText(coupon.error)}</p>
        <button type="button" onClick={() => void coupon.refetch()}>Retry</button>
        <p><Link to="/coupons">Back to coupons</Link></p>
      </div>
    );
  }
  const c = coupon.data;
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['coupon', id] });
    await client.invalidateQueries({ queryKey: ['codes', id] });
    await client.invalidateQueries({ queryKey: ['coupons'] });
    await client.invalidateQueries({ queryKey: ['versions', id] });
  };
  const act = async (action: string, success: string) => {
    setActionError(null);
    try {
      await api('POST', apiPath`/v1/coupons/${id}/${action}`);
      setNotice(success);
      await refresh();
    } catch (err) {
      setActionError(errorText(err));
    }
  };

  return (
    <>
      <div className="page-head">
        <h1>{c.name} <Status value={c.status} /></h1>
        <RequireScope scope="coupons:write" what="Changing this coupon">
        <div className="toolbar" role="group" aria-label="Coupon actions">
          {c.status !== 'archived' && <ScopedLink scope="coupons:write" className="button" to={pagePath`/coupons/${id}/edit`}>Edit coupon</ScopedLink>}
          {c.status === 'draft' && <button type="button" onClick={() => void act('activate', `Coupon ${c.name} is active.`)}>Activate coupon</button>}
          {c.status === 'disabled' && <button type="button" onClick={() => void act('enable', `Coupon ${c.name} is enabled.`)}>Enable coupon</button>}
          {!['disabled', 'archived', 'draft'].includes(c.status) && <button type="button" onClick={() => setDialog({ kind: 'coupon', action: 'disable' })}>Disable coupon</button>}
          <button
            type="button"
            onClick={async () => {
              try {
                const copy = await api<Coupon>('POST', apiPath`/v1/coupons/${id}/clone`);
                await client.invalidateQueries({ queryKey: ['coupons'] });
                navigate(pagePath`/coupons/${copy.id}`);
              } catch (err) {
                setActionError(errorText(err));
              }
            }}
          >
            Clone coupon
          </button>
          <Link className="button" to={pagePath`/coupons/${id}/usage`}>View usage</Link>
          {c.status !== 'archived' && <button type="button" onClick={() => setDialog({ kind: 'coupon', action: 'archive' })}>Archive coupon</button>}
          <button type="button" className="danger" onClick={() => setDialog({ kind: 'coupon', action: 'delete' })}>Delete coupon</button>
        </div>
        </RequireScope>
      </div>
      {notice && <Notice kind="success">{notice}</Notice>}
      {actionError && <Notice kind="error">{actionError}</Notice>}
      <Terms coupon={c} />
      <CouponStats id={id} />
      <CouponCheckout coupon={c} />
      <CodesTable coupon={c} onDialog={setDialog} />
      <RequireScope scope="coupons:write" what="Adding, importing and generating codes">
      {c.status !== 'archived' && (
        <div className="grid-2">
          <AddCode coupon={c} onAdded={refresh} />
          <ImportCodes coupon={c} onImported={refresh} />
        </div>
      )}
      {c.status !== 'archived' && <GenerateBatch coupon={c} onDone={refresh} />}
      </RequireScope>
      <EarlierBatches coupon={c} />
      <Versions id={id} zone={c.timeZone} />
      <AuditTrail targetType="coupon" targetId={id} />

      {dialog?.kind === 'coupon' && dialog.action === 'delete' && (
        <ConfirmDialog
          title={`Delete coupon ${c.name}`}
          confirmLabel="Delete coupon"
          danger
          typeToConfirm={c.name}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', apiPath`/v1/coupons/${id}`);
            await client.invalidateQueries({ queryKey: ['coupons'] });
            navigate('/coupons');
          }}
        >
          <p>This removes the coupon and all its codes for good. Only a coupon that was never redeemed can be deleted; archive a redeemed one instead.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'coupon' && dialog.action === 'archive' && (
        <ConfirmDialog
          title={`Archive coupon ${c.name}`}
          confirmLabel="Archive coupon"
          danger
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('POST', apiPath`/v1/coupons/${id}/archive`);
            setNotice(`Coupon ${c.name} is archived.`);
            await refresh();
          }}
        >
          <p>Archiving cannot be undone: the coupon and its codes stop working for new redemptions and become read-only. Existing redemptions keep their discount.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'coupon' && dialog.action === 'disable' && (
        <ConfirmDialog
          title={`Disable coupon ${c.name}`}
          confirmLabel="Disable coupon"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('POST', apiPath`/v1/coupons/${id}/disable`);
            setNotice(`Coupon ${c.name} is disabled.`);
            await refresh();
          }}
        >
          <p>None of its codes can be redeemed until you enable it again. Existing redemptions keep their discount.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'code' && dialog.action === 'disable' && (
        <ConfirmDialog
          title={`Disable code ${dialog.code}`}
          confirmLabel="Disable code"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('POST', apiPath`/v1/codes/${dialog.code}/disable`);
            setNotice(`Code ${dialog.code} is disabled.`);
            await refresh();
          }}
        >
          <p>The code stops working for new signups; you can enable it again at any time. Existing redemptions keep their discount.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'code' && dialog.action === 'delete' && (
        <ConfirmDialog
          title={`Delete code ${dialog.code}`}
          confirmLabel="Delete code"
          danger
          typeToConfirm={dialog.code}
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api('DELETE', apiPath`/v1/codes/${dialog.code}`);
            setNotice(`Code ${dialog.code} is deleted.`);
            await refresh();
          }}
        >
          <p>This cannot be undone. The code stops working and leaves the list; its usage history is kept and existing redemptions keep their discount.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'edit-code' && (
        <EditCode
          code={dialog.code}
          zone={c.timeZone}
          onClose={() => setDialog(null)}
          onSaved={async () => {
            setNotice(`Code ${dialog.code.code} is saved.`);
            await refresh();
          }}
        />
      )}
    </>
  );
}

function Terms({ coupon: c }: { coupon: Coupon }) {
  const plans = c.appliesTo.plans === 'all' ? 'Every plan' : `Plans ${(c.appliesTo.plans.include?.planIds ?? []).join(', ') || '(rules)'}`;
  const elig = [
    c.eligibility.customers === 'new' ? 'New customers only' : c.eligibility.customers === 'existing' ? 'Existing customers only' : 'Any customer',
    c.eligibility.emailDomains?.length ? `emails at ${c.eligibility.emailDomains.join(', ')}` : '',
    c.eligibility.regions?.length ? `in ${c.eligibility.regions.map((r) => r.regions?.join(', ') || r.country).join(', ')}` : '',
  ].filter(Boolean).join('; ');
  return (
    <section aria-labelledby="terms-h">
      <h2 id="terms-h">Terms (version {c.version})</h2>
      <dl className="terms">
        <dt>Discount</dt><dd>{discountText(c.discount)}</dd>
        <dt>Duration</dt><dd>{durationText(c.duration)}</dd>
        <dt>Applies to</dt><dd>{plans}{c.appliesTo.lineKinds?.length ? `; lines: ${c.appliesTo.lineKinds.join(', ')}` : ''}{c.appliesTo.actions?.length ? `; actions: ${c.appliesTo.actions.join(', ')}` : ''}{c.appliesTo.switches && c.appliesTo.switches !== 'any' ? `; switches: ${c.appliesTo.switches}` : ''}</dd>
        <dt>Eligibility</dt><dd>{elig}{c.grantsAccess ? '; codes are invitations' : ''}</dd>
        <dt>Limits</dt><dd>{c.limits.maxRedemptions ? `${int(c.limits.maxRedemptions)} in total` : 'Unlimited in total'}; {c.limits.perCustomer ? `${int(c.limits.perCustomer)} per customer` : 'unlimited per customer'}</dd>
        <dt>Redeemed</dt><dd>{int(c.timesRedeemed)}</dd>
        <dt>Valid</dt><dd>from {c.validFrom ? dateTime(c.validFrom, c.timeZone) : 'creation'} until {c.expiresAt ? dateTime(c.expiresAt, c.timeZone) : 'no end'} ({c.timeZone})</dd>
        <dt>Overflow</dt><dd>{c.overflow}</dd>
        <dt>Stackable</dt><dd>{c.stackable ? 'Yes' : 'No'}</dd>
        <dt>Attribution</dt><dd>{attributionText(c.attribution) || '—'}</dd>
        {c.description && <><dt>Description</dt><dd>{c.description}</dd></>}
      </dl>
    </section>
  );
}

function CouponStats({ id }: { id: string }) {
  const stats = useQuery({ queryKey: ['coupon-stats', id], queryFn: () => get<UsageStats>(apiPath`/v1/coupons/${id}/stats`) });
  return (
    <section aria-labelledby="cstats-h">
      <h2 id="cstats-h">Performance</h2>
      {stats.isPending && <p role="status">Loading figures…</p>}
      {stats.isError && (
        <div role="alert" className="state state-error">
          <p>Could not load figures: {errorText(stats.error)}</p>
          <button type="button" onClick={() => void stats.refetch()}>Retry</button>
        </div>
      )}
      {stats.data && (
        <dl className="stats">
          <Stat label="Redemptions" value={`${int(stats.data.redemptions.total)} (${int(stats.data.redemptions.active)} active)`} />
          <Stat label="Customers" value={int(stats.data.customers)} />
          <Stat label="Conversion" value={percent(stats.data.conversionRate)} />
          <Stat label="Discount given" value={moneyMap(stats.data.discountTotal)} />
          <Stat label="Revenue" value={moneyMap(stats.data.revenue)} />
        </dl>
      )}
    </section>
  );
}

function CodesTable({ coupon, onDialog }: { coupon: Coupon; onDialog: (d: Dialog) => void }) {
  const { path, search } = useLocation();
  const nav = cursorNav(search, 'codes', 'codesBack');
  const cursor = nav.cursor;
  const codes = useQuery({
    queryKey: ['codes', coupon.id, cursor],
    queryFn: () => get<CodePage>(apiPath`/v1/coupons/${coupon.id}/codes`, { cursor, limit: 25 }),
  });
  const go = (p: Record<string, string | undefined>) => setSearch(path, { codes: p.codes, codesBack: p.codesBack }, true);
  const rows = codes.data?.data ?? [];
  const readOnly = coupon.status === 'archived';
  const { can } = useScopes();
  return (
    <section aria-labelledby="codes-h" className="codes">
      <h2 id="codes-h">Codes</h2>
      <TableState
        query={codes}
        rows={rows.length}
        noun="codes"
        filtered={cursor !== ''}
        onClear={() => go({})}
        empty={<p>This coupon has no codes yet. Add one below, import a CSV, or generate a batch.</p>}
      />
      {!readOnly && rows.length > 0 && !can('coupons:write') && <ScopeNote scope="coupons:write" what="Editing, disabling and deleting codes" />}
      {rows.length > 0 && (
        <table>
          <caption>Codes of {coupon.name}</caption>
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Description / attribution</th>
              <th scope="col">Discount</th>
              <th scope="col">Usage count</th>
              <th scope="col">Usage limit</th>
              <th scope="col">Expiration date</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((k) => {
              const desc = typeof k.metadata?.description === 'string' ? k.metadata.description : '';
              const attr = attributionText(k.attribution);
              return (
                <tr key={k.code}>
                  <th scope="row"><code>{k.code}</code></th>
                  <td>{[desc, attr, k.customerId ? `for customer ${k.customerId}` : ''].filter(Boolean).join(' · ') || '—'}</td>
                  <td>{discountText(coupon.discount)}</td>
                  <td>{int(k.timesRedeemed)}</td>
                  <td>{k.maxRedemptions !== null ? int(k.maxRedemptions) : coupon.limits.maxRedemptions !== null ? `${int(coupon.limits.maxRedemptions)} (coupon total)` : 'Unlimited'}</td>
                  <td>{k.expiresAt ? dateOnly(k.expiresAt, coupon.timeZone) : 'Never'}</td>
                  <td><Status value={k.status} /></td>
                  <td className="row-actions">
                    <RequireScope scope="coupons:write" quiet>
                    {!readOnly && <button type="button" aria-label={`Edit code ${k.code}`} onClick={() => onDialog({ kind: 'edit-code', code: k })}>Edit</button>}
                    {!readOnly && k.status === 'disabled' && (
                      <button type="button" aria-label={`Enable code ${k.code}`} onClick={async () => { await api('POST', apiPath`/v1/codes/${k.code}/enable`); await codes.refetch(); }}>Enable</button>
                    )}
                    {!readOnly && k.status !== 'disabled' && (
                      <button type="button" aria-label={`Disable code ${k.code}`} onClick={() => onDialog({ kind: 'code', action: 'disable', code: k.code })}>Disable</button>
                    )}
                    {!readOnly && <button type="button" className="danger" aria-label={`Delete code ${k.code}`} onClick={() => onDialog({ kind: 'code', action: 'delete', code: k.code })}>Delete</button>}
                    </RequireScope>
                    <Link to={`${pagePath`/coupons/${coupon.id}/usage`}?code=${encodeURIComponent(k.code)}`} aria-label={`View usage of code ${k.code}`}>View usage</Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager label="Code pages" nav={nav} nextCursor={codes.data?.nextCursor} go={go} />
    </section>
  );
}

function EditCode({ code, zone, onClose, onSaved }: { code: Code; zone: string; onClose: () => void; onSaved: () => Promise<void> }) {
  const [max, setMax] = useState(code.maxRedemptions === null ? '' : String(code.maxRedemptions));
  const [expires, setExpires] = useState(isoToZoned(code.expiresAt, zone));
  const [customer, setCustomer] = useState(code.customerId ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  return (
    <ConfirmDialog
      title={`Edit code ${code.code}`}
      confirmLabel="Save code"
      onClose={onClose}
      onConfirm={async () => {
        setErrors({});
        try {
          const body: CodePatchBody = {
            maxRedemptions: max.trim() === '' ? null : Number(max),
            expiresAt: expires ? zonedToIso(expires, zone) : null,
            customerId: customer.trim() === '' ? null : customer.trim(),
          };
          await api<Code>('PATCH', apiPath`/v1/codes/${code.code}`, body);
          await onSaved();
        } catch (err) {
          if (err instanceof ApiError && err.field) {
            setErrors({ [err.field]: err.message });
            throw new Error('Fix the field marked above.');
          }
          throw err;
        }
      }}
    >
      <Field label="Usage limit (empty: unlimited)" error={errors.maxRedemptions}>
        {(p) => <input {...p} inputMode="numeric" value={max} onChange={(e) => setMax(e.target.value)} />}
      </Field>
      <Field label={`Expires at (${zone}; empty: the coupon's expiry)`} error={errors.expiresAt}>
        {(p) => <input {...p} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}
      </Field>
      <Field label="Only for customer id (empty: anyone)" error={errors.customerId}>
        {(p) => <input {...p} value={customer} onChange={(e) => setCustomer(e.target.value)} />}
      </Field>
    </ConfirmDialog>
  );
}

function AddCode({ coupon, onAdded }: { coupon: Coupon; onAdded: () => Promise<void> }) {
  const [code, setCode] = useState('');
  const [max, setMax] = useState('');
  const [expires, setExpires] = useState('');
  const [customer, setCustomer] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setDone(null);
    setBusy(true);
    try {
      const body: CodeCreateBody = { code: code.trim() };
      if (max.trim()) body.maxRedemptions = Number(max);
      if (expires) body.expiresAt = zonedToIso(expires, coupon.timeZone);
      if (customer.trim()) body.customerId = customer.trim();
      const created = await api<Code>('POST', apiPath`/v1/coupons/${coupon.id}/codes`, body);
      setDone(`Code ${created.code} added.`);
      setCode('');
      setMax('');
      setExpires('');
      setCustomer('');
      await onAdded();
    } catch (err) {
      setErrors({ [err instanceof ApiError && err.field ? err.field : 'code']: errorText(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="add-code-h">
      <h2 id="add-code-h">Add a code</h2>
      <form onSubmit={submit}>
        <Field label="Code" error={errors.code} hint="Letters, digits, _ or -; stored in upper case.">
          {(p) => <input {...p} value={code} onChange={(e) => setCode(e.target.value)} autoCapitalize="characters" />}
        </Field>
        <Field label="Usage limit (empty: the coupon's)" error={errors.maxRedemptions}>
          {(p) => <input {...p} inputMode="numeric" value={max} onChange={(e) => setMax(e.target.value)} />}
        </Field>
        <Field label={`Expires at (${coupon.timeZone}; empty: the coupon's)`} error={errors.expiresAt}>
          {(p) => <input {...p} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}
        </Field>
        <Field label="Only for customer id (optional)" error={errors.customerId}>
          {(p) => <input {...p} value={customer} onChange={(e) => setCustomer(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>Add code</button>
        {done && <Notice kind="success">{done}</Notice>}
      </form>
    </section>
  );
}

function ImportCodes({ coupon, onImported }: { coupon: Coupon; onImported: () => Promise<void> }) {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<{ ok?: string; error?: string; rows?: BadLine[] }>({});
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) {
      setResult({ error: 'Choose a CSV file first.' });
      return;
    }
    setBusy(true);
    setResult({});
    try {
      const r = await api<ImportResult>('POST', apiPath`/v1/coupons/${coupon.id}/codes/import`, await file.text(), 'text/csv');
      setResult({ ok: `Imported ${int(r.imported)} codes.` });
      await onImported();
    } catch (err) {
      setResult({ error: errorText(err), rows: err instanceof ApiError ? err.rows : undefined });
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="import-h">
      <h2 id="import-h">Import codes from CSV</h2>
      <form onSubmit={submit}>
        <Field label="CSV file" hint="Header line: code, and optionally max_redemptions, expires_at, channel, partner, referrer_customer_id. All rows or none are imported.">
          {(p) => <input {...p} type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
        </Field>
        <button type="submit" disabled={busy}>Import codes</button>
      </form>
      {result.ok && <Notice kind="success">{result.ok}</Notice>}
      {result.error && (
        <div role="alert" className="notice notice-error">
          <p>{result.error}</p>
          {result.rows && result.rows.length > 0 && (
            <table>
              <caption>Lines that could not be imported ({int(result.rows.length)})</caption>
              <thead><tr><th scope="col">Line</th><th scope="col">Problem</th></tr></thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr key={`${r.line}-${r.message}`}><td>{r.line}</td><td>{r.message}</td></tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

function GenerateBatch({ coupon, onDone }: { coupon: Coupon; onDone: () => Promise<void> }) {
  const [count, setCount] = useState('1000');
  const [prefix, setPrefix] = useState('');
  const [length, setLength] = useState('');
  const [perCode, setPerCode] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [batchId, setBatchId] = useState<string | null>(null);
  const batch = useQuery({
    queryKey: ['batch', batchId],
    queryFn: () => get<Batch>(apiPath`/v1/batches/${batchId ?? ''}`),
    enabled: batchId !== null,
    refetchInterval: (q) => (q.state.data && ['completed', 'failed'].includes(q.state.data.status) ? false : 500),
  });
  const b = batch.data;
  const finished = b?.status === 'completed';
  useEffect(() => {
    if (finished) void onDone();
  }, [finished]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    const body: BatchCreateBody = { count: Number(count) };
    if (prefix.trim()) body.prefix = prefix.trim();
    if (length.trim()) body.length = Number(length);
    if (perCode.trim()) body.maxRedemptionsPerCode = Number(perCode);
    try {
      const r = await api<BatchCreated>('POST', apiPath`/v1/coupons/${coupon.id}/batches`, body);
      setBatchId(r.batch.id);
    } catch (err) {
      setErrors({ [err instanceof ApiError && err.field ? err.field : 'count']: errorText(err) });
    }
  }
  const pct = b ? Math.floor((b.generated / Math.max(1, b.count)) * 100) : 0;
  return (
    <section aria-labelledby="batch-h">
      <h2 id="batch-h">Generate a batch of codes</h2>
      <form onSubmit={submit} className="row">
        <Field label="Number of codes" error={errors.count}>
          {(p) => <input {...p} inputMode="numeric" value={count} onChange={(e) => setCount(e.target.value)} />}
        </Field>
        <Field label="Prefix (optional)" error={errors.prefix}>
          {(p) => <input {...p} value={prefix} onChange={(e) => setPrefix(e.target.value)} />}
        </Field>
        <Field label="Random characters (default 12)" error={errors.length}>
          {(p) => <input {...p} inputMode="numeric" value={length} onChange={(e) => setLength(e.target.value)} />}
        </Field>
        <Field label="Uses per code (default 1)" error={errors.maxRedemptionsPerCode}>
          {(p) => <input {...p} inputMode="numeric" value={perCode} onChange={(e) => setPerCode(e.target.value)} />}
        </Field>
        <button type="submit" disabled={batchId !== null && !!b && !['completed', 'failed'].includes(b.status)}>Generate codes</button>
      </form>
      {batchId && (
        <div className="batch-progress">
          <label htmlFor="batch-bar">Batch progress</label>
          <progress id="batch-bar" max={100} value={pct} aria-valuetext={`${pct} %`} />
          <p role="status" aria-live="polite">
            {b ? `${STATUS[b.status]}: ${int(b.generated)} of ${int(b.count)} codes (${pct} %)` : 'Queued…'}
            {b?.status === 'failed' && b.error ? ` — ${b.error}` : ''}
          </p>
          {finished && (
            <button type="button" className="primary" onClick={() => void download(apiPath`/v1/batches/${b.id}/codes.csv`, 'codes.csv')}>Download codes.csv</button>
          )}
        </div>
      )}
    </section>
  );
}

const STATUS: Record<Batch['status'], string> = { queued: 'Queued', running: 'Running', completed: 'Completed', failed: 'Failed' };

function Versions({ id, zone }: { id: string; zone: string }) {
  const versions = useQuery({ queryKey: ['versions', id], queryFn: () => get<CouponVersionPage>(apiPath`/v1/coupons/${id}/versions`, { limit: 100 }) });
  const rows = versions.data?.data ?? [];
  return (
    <section aria-labelledby="versions-h">
      <h2 id="versions-h">Version history</h2>
      <TableState query={versions} rows={rows.length} noun="versions" />
      {rows.length > 0 && (
        <table>
          <caption>Versions, oldest first</caption>
          <thead><tr><th scope="col">Version</th><th scope="col">Created ({zone})</th><th scope="col">Discount</th><th scope="col">Duration</th><th scope="col">Limits</th></tr></thead>
          <tbody>
            {rows.map((v) => {
              const s = v.snapshot as Partial<Coupon>;
              return (
                <tr key={v.version}>
                  <td>{v.version}</td>
                  <td>{dateTime(v.createdAt, zone)}</td>
                  <td>{s.discount ? discountText(s.discount) : '—'}</td>
                  <td>{s.duration ? durationText(s.duration) : '—'}</td>
                  <td>{s.limits ? `${s.limits.maxRedemptions ?? 'unlimited'} total, ${s.limits.perCustomer ?? 'unlimited'} per customer` : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
