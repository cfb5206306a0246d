import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, apiPath, get, type Coupon, type CouponPatchBody } from '../api';
import { ACTIONS, BUDGET_PERIODS, formProblems, fromCoupon, LINE_KINDS, PLAN_KINDS, toBody, type FormState, type MetaRow, type MoneyRow } from '../coupon-body';
import { useAccount } from '../app';
import { Field, Notice, errorText } from '../components';
import { Link, navigate, pagePath } from '../router';
import { RequireScope } from '../scopes';

const label = (s: string) => (s[0].toUpperCase() + s.slice(1)).replace(/_/g, ' ');

/** Which input an API error's `field` belongs to (the longest matching prefix). */
const FIELD_OF: [string, keyof FormState][] = [
  ['name', 'name'],
  ['description', 'description'],
  ['code', 'code'],
  ['status', 'status'],
  ['discount.basisPoints', 'percent'],
  ['discount.amounts', 'amount'],
  ['discount.days', 'trialDays'],
  ['discount', 'discountType'],
  ['duration.cycles', 'cycles'],
  ['duration.months', 'months'],
  ['duration.date', 'untilDate'],
  ['duration', 'durationType'],
  ['appliesTo.plans', 'plans'],
  ['appliesTo.plans.include.families', 'families'],
  ['appliesTo.plans.include.intervals', 'intervals'],
  ['appliesTo.plans.exclude', 'excludePlans'],
  ['appliesTo.plans.exclude.families', 'excludeFamilies'],
  ['appliesTo.plans.exclude.intervals', 'excludeIntervals'],
  ['appliesTo.planKinds', 'planKinds'],
  ['appliesTo.minimumAmounts', 'minimumAmounts'],
  ['appliesTo.lineKinds', 'lineKinds'],
  ['appliesTo.actions', 'actions'],
  ['appliesTo.switches', 'switches'],
  ['eligibility.customers', 'customers'],
  ['eligibility.emailDomains', 'emailDomains'],
  ['eligibility.regions', 'regions'],
  ['limits.maxRedemptions', 'maxRedemptions'],
  ['limits.perCustomer', 'perCustomer'],
  ['limits.budget', 'budget'],
  ['limits.budget.period', 'budgetPeriod'],
  ['validFrom', 'validFrom'],
  ['expiresOn', 'expiresOn'],
  ['expiresAfterDays', 'expiresAfterDays'],
  ['expiresAt', 'expiresOn'],
  ['overflow', 'overflow'],
  ['stackable', 'stackable'],
  ['attribution.channel', 'channel'],
  ['attribution.partner', 'partner'],
  ['attribution.referrerCustomerId', 'referrer'],
  ['attribution', 'channel'],
  ['grantsAccess', 'grantsAccess'],
  ['metadata', 'metadata'],
];

function inputFor(field: string | undefined): keyof FormState | null {
  if (!field) return null;
  const f = field.replace(/^body\./, '');
  let best: [string, keyof FormState] | null = null;
  for (const entry of FIELD_OF) {
    if ((f === entry[0] || f.startsWith(`${entry[0]}.`) || f.startsWith(`${entry[0]}[`)) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  return best ? best[1] : null;
}

/** The currency an error's field names under `prefix` ("limits.budget.amounts.USD" → USD); undefined when it names none. */
function errorCurrency(field: string | undefined, prefix: string): string | undefined {
  const f = field?.replace(/^body\./, '');
  return f?.startsWith(`${prefix}.`) ? f.slice(prefix.length + 1) : undefined;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

function Checks<T extends string>({ legend, options, value, onChange, error, labelOf = label }: { legend: string; options: readonly T[]; value: T[]; onChange: (v: T[]) => void; error?: string; labelOf?: (o: T) => string }) {
  return (
    <fieldset className="checks">
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o}>
          <input type="checkbox" checked={value.includes(o)} onChange={(e) => onChange(e.target.checked ? [...value, o] : value.filter((x) => x !== o))} /> {labelOf(o)}
        </label>
      ))}
      {error && <p className="field-error" role="alert">{error}</p>}
    </fieldset>
  );
}

/**
 * Amounts per currency as rows of a currency and an amount in major units, with Add and Remove.
 * `badCurrency`: the currency the API's error names, whose inputs are marked invalid.
 */
function MoneyRows({ legend, name, rows, onChange, error, badCurrency, hint, currency }: { legend: string; name: string; rows: MoneyRow[]; onChange: (rows: MoneyRow[]) => void; error?: string; badCurrency?: string; hint?: string; currency: string }) {
  const set = (i: number, patch: Partial<MoneyRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const errId = useId();
  return (
    <fieldset className="checks rows">
      <legend>{legend}</legend>
      {hint && <p className="hint">{hint}</p>}
      {rows.map((r, i) => {
        const bad = !!error && (badCurrency === undefined || badCurrency === r.currency.trim().toUpperCase());
        const a11y = bad ? { 'aria-invalid': true, 'aria-describedby': errId } : {};
        return (
          <div className="row" key={i}>
            <Field label={`${name} ${i + 1}: currency`}>
              {(p) => <input {...p} {...a11y} value={r.currency} maxLength={3} size={5} autoCapitalize="characters" onChange={(e) => set(i, { currency: e.target.value })} />}
            </Field>
            <Field label={`${name} ${i + 1}: amount`}>
              {(p) => <input {...p} {...a11y} value={r.amount} inputMode="decimal" onChange={(e) => set(i, { amount: e.target.value })} />}
            </Field>
            <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))}>Remove {name.toLowerCase()} {i + 1}</button>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rows, { currency: rows.length ? '' : currency, amount: '' }])}>Add {name.toLowerCase()} currency</button>
      {error && <p id={errId} className="field-error" role="alert">{error}</p>}
    </fieldset>
  );
}

/** Metadata as key/value rows, with Add and Remove. */
function MetaRows({ rows, onChange, error }: { rows: MetaRow[]; onChange: (rows: MetaRow[]) => void; error?: string }) {
  const set = (i: number, patch: Partial<MetaRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const errId = useId();
  const a11y = error ? { 'aria-invalid': true, 'aria-describedby': errId } : {};
  return (
    <fieldset className="checks rows">
      <legend>Metadata (your own key/value pairs, up to 50; keys up to 40 characters)</legend>
      {rows.length === 0 && <p className="hint">No metadata.</p>}
      {rows.map((r, i) => (
        <div className="row" key={i}>
          <Field label={`Metadata ${i + 1}: key`}>
            {(p) => <input {...p} {...a11y} value={r.key} maxLength={40} onChange={(e) => set(i, { key: e.target.value })} />}
          </Field>
          <Field label={`Metadata ${i + 1}: value`}>
            {(p) => <input {...p} {...a11y} value={r.value} onChange={(e) => set(i, { value: e.target.value })} />}
          </Field>
          <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))}>Remove metadata {i + 1}</button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...rows, { key: '', value: '' }])}>Add metadata</button>
      {error && <p id={errId} className="field-error" role="alert">{error}</p>}
    </fieldset>
  );
}

export function CouponForm({ id }: { id?: string }) {
  const account = useAccount();
  const existing = useQuery({ queryKey: ['coupon', id], queryFn: () => get<Coupon>(apiPath`/v1/coupons/${id ?? ''}`), enabled: id !== undefined });
  if (id && existing.isPending) return <p role="status">Loading coupon…</p>;
  if (id && existing.isError) {
    return (
      <div role="alert" className="state state-error">
        <p>Could not load the coupon: {errorText(existing.error)}</p>
        <button type="button" onClick={() => void existing.refetch()}>Retry</button>
      </div>
    );
  }
  return <CouponFormBody key={id ?? 'new'} original={existing.data} zone={existing.data?.timeZone ?? account.timeZone} currency={account.currency} />;
}

function CouponFormBody({ original, zone, currency }: { original?: Coupon; zone: string; currency: string }) {
  const client = useQueryClient();
  const [f, setF] = useState<FormState>(() => fromCoupon(original, currency));
  const [errors, setErrors] = useState<Partial<Record<keyof FormState, string>>>({});
  const [general, setGeneral] = useState<string | null>(null);
  /** The field path the API's last error named (a currency's row is marked by it). */
  const [errorField, setErrorField] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  useEffect(() => {
    document.title = `${original ? `Edit ${original.name}` : 'Create coupon'} · Couponflow`;
  }, [original]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setGeneral(null);
    setErrorField(undefined);
    const problems = formProblems(f);
    if (Object.keys(problems).length) {
      setErrors(problems);
      setBusy(false);
      return;
    }
    try {
      const body = toBody(f, zone, original);
      if (original && Object.keys(body).length === 0) {
        // nothing changed: no PATCH, no version, no coupon.updated event
        navigate(pagePath`/coupons/${original.id}`);
        return;
      }
      const saved = original
        ? await api<Coupon>('PATCH', apiPath`/v1/coupons/${original.id}`, body satisfies CouponPatchBody)
        : await api<Coupon>('POST', apiPath`/v1/coupons`, body);
      await client.invalidateQueries({ queryKey: ['coupons'] });
      client.setQueryData(['coupon', saved.id], saved);
      // its figures include the budget's, which an edit may change
      await client.invalidateQueries({ queryKey: ['coupon-stats', saved.id] });
      navigate(pagePath`/coupons/${saved.id}`);
    } catch (err) {
      const input = err instanceof ApiError ? inputFor(err.field) : null;
      if (input) {
        setErrors({ [input]: errorText(err) });
        setErrorField(err instanceof ApiError ? err.field : undefined);
      }
      else setGeneral(errorText(err));
      setBusy(false);
    }
  }

  const text = (k: keyof FormState, lbl: string, props: Record<string, unknown> = {}, hint?: ReactNode) => (
    <Field label={lbl} error={errors[k]} hint={hint}>
      {(p) => <input {...p} {...props} value={f[k] as string} onChange={(e) => set(k, e.target.value as never)} />}
    </Field>
  );
  const select = (k: keyof FormState, lbl: string, options: [string, string][]) => (
    <Field label={lbl} error={errors[k]}>
      {(p) => (
        <select {...p} value={f[k] as string} onChange={(e) => set(k, e.target.value as never)}>
          {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
      )}
    </Field>
  );
  /** Amounts per currency; an API error naming one currency (`limits.budget.amounts.EUR`) marks its row. */
  const amounts = (k: 'minimumAmounts' | 'budget', name: string, legend: string, hint: string) => (
    <MoneyRows
      legend={legend}
      name={name}
      currency={currency}
      rows={f[k]}
      onChange={(v) => set(k, v)}
      error={errors[k]}
      badCurrency={errorCurrency(errorField, k === 'budget' ? 'limits.budget.amounts' : 'appliesTo.minimumAmounts')}
      hint={hint}
    />
  );
  const check = (k: keyof FormState, lbl: string, hint?: string) => (
    <Field label={lbl} error={errors[k]} hint={hint}>
      {(p) => <input {...p} type="checkbox" checked={f[k] as boolean} onChange={(e) => set(k, e.target.checked as never)} />}
    </Field>
  );

  return (
    <>
      <h1>{original ? `Edit coupon ${original.name}` : 'Create coupon'}</h1>
      {original && original.timesRedeemed > 0 && (
        <Notice>Changing the terms makes a new version; customers who already redeemed keep the terms they got.</Notice>
      )}
      {general && <Notice kind="error">{general}</Notice>}
      <form onSubmit={submit} className="coupon-form" noValidate>
        <Section title="Coupon">
          {text('name', 'Name', { required: true, maxLength: 200 })}
          <Field label="Internal description" error={errors.description}>
            {(p) => <textarea {...p} value={f.description} onChange={(e) => set('description', e.target.value)} rows={2} />}
          </Field>
          {!original && text('code', 'First code (optional)', { autoCapitalize: 'characters' }, 'Letters, digits, _ or -; 3 to 64 characters. Add more codes later.')}
          {!original && select('status', 'Start as', [['active', 'Active'], ['draft', 'Draft (activate later)']])}
        </Section>
        <Section title="Discount">
          {select('discountType', 'Discount type', [
            ['percentage', 'Percentage off'],
            ['fixed_amount', 'Amount off'],
            ['free_trial', 'Free trial'],
            ['free_shipping', 'Free shipping'],
            ['none', 'No discount (access only)'],
          ])}
          {f.discountType === 'percentage' && text('percent', 'Percent off', { inputMode: 'decimal' }, 'For example 25 for 25 % (up to two decimals).')}
          {f.discountType === 'fixed_amount' && (
            <div className="row">
              {text('amount', 'Amount off', { inputMode: 'decimal' }, 'In major units, for example 15.00')}
              {text('currency', 'Currency', { maxLength: 3, autoCapitalize: 'characters' })}
            </div>
          )}
          {f.discountType === 'free_trial' && text('trialDays', 'Trial days', { inputMode: 'numeric' })}
          {select('durationType', 'Duration', [
            ['once', 'First invoice only'],
            ['repeating', 'First N billing cycles'],
            ['months', 'For N months'],
            ['until', 'Until a date'],
            ['forever', 'Forever'],
          ])}
          {f.durationType === 'repeating' && text('cycles', 'Billing cycles', { inputMode: 'numeric' })}
          {f.durationType === 'months' && text('months', 'Months', { inputMode: 'numeric' })}
          {f.durationType === 'until' && text('untilDate', `Last day (in ${zone})`, { type: 'date' })}
        </Section>
        <Section title="Applies to">
          <p className="hint">A plan is in scope when it matches every kind of rule given below (plan ids, families, intervals, plan kinds) and no exclusion; with none, every plan.</p>
          {text('plans', 'Plan ids (empty: every plan)', {}, 'Comma-separated, for example pro-monthly, pro-yearly')}
          {text('families', 'Plan families', {}, 'Comma-separated, for example pro, team')}
          {text('intervals', 'Billing intervals', {}, 'Comma-separated, for example: month, 3 months, year')}
          <Checks legend="Plan kinds (none ticked: both)" options={PLAN_KINDS} labelOf={(k) => (k === 'one_time' ? 'One-time plans' : 'Subscription plans')} value={f.planKinds} onChange={(v) => set('planKinds', v)} error={errors.planKinds} />
          <div className="row">
            {text('excludePlans', 'Excluded plan ids')}
            {text('excludeFamilies', 'Excluded plan families')}
            {text('excludeIntervals', 'Excluded billing intervals', {}, 'For example: week')}
          </div>
          {amounts('minimumAmounts', 'Minimum', "Minimum amounts (an invoice whose lines in scope sum below its currency's minimum gets no discount)", 'In major units, for example 50.00; none: no minimum.')}
          <Checks legend="Invoice line kinds (none ticked: every kind but shipping)" options={LINE_KINDS} value={f.lineKinds} onChange={(v) => set('lineKinds', v)} error={errors.lineKinds} />
          <Checks legend="Actions (none ticked: every action)" options={ACTIONS} value={f.actions} onChange={(v) => set('actions', v)} error={errors.actions} />
          {select('switches', 'Plan switches', [
            ['any', 'Any (not restricted)'],
            ['same_interval_upgrade', 'Upgrades within the same interval only'],
            ['to_longer_interval', 'Switches to a longer interval only'],
          ])}
        </Section>
        <Section title="Eligibility">
          {select('customers', 'Customers', [['any', 'Any customer'], ['new', 'New customers only'], ['existing', 'Existing customers only']])}
          {text('emailDomains', 'Email domains (empty: any)', {}, 'Comma-separated, for example example.com, *.example.org')}
          {text('regions', 'Countries or regions (empty: anywhere)', {}, 'ISO codes, comma-separated, for example US, CA-QC')}
          {check('grantsAccess', 'Codes are invitations (grant access to invitation-only plans)')}
        </Section>
        <Section title="Limits">
          {text('maxRedemptions', 'Total redemptions (empty: unlimited)', { inputMode: 'numeric' })}
          {text('perCustomer', 'Per customer (empty: unlimited)', { inputMode: 'numeric' })}
          {amounts('budget', 'Budget', 'Discount budget (the most discount all invoices together may take, per currency)', 'In major units, for example 1000.00; none: no budget.')}
          {f.budget.length > 0 && select('budgetPeriod', 'Budget period (in the coupon’s time zone)', [['', 'Over the coupon’s whole life'], ...BUDGET_PERIODS.map((p): [string, string] => [p, `Each calendar ${p}`])])}
        </Section>
        <Section title={`Validity (dates and times in ${zone}, the coupon's time zone)`}>
          {text('validFrom', `Valid from (${zone}; empty: now)`, { type: 'datetime-local' })}
          {select('expiryType', 'Expires', [['never', 'Never'], ['on', 'At the end of a date'], ['after', 'Some days after creation']])}
          {f.expiryType === 'on' && text('expiresOn', `Last valid day (ends at midnight ${zone})`, { type: 'date' })}
          {f.expiryType === 'after' && text('expiresAfterDays', 'Days after creation', { inputMode: 'numeric' })}
        </Section>
        <Section title="Billing behaviour">
          {select('overflow', 'When the discount exceeds the invoice', [
            ['', "Account default"],
            ['cap', 'Cap at the invoice total'],
            ['minimum_charge', 'Keep a minimum charge'],
            ['credit', 'Carry the rest as credit'],
          ])}
          {check('stackable', 'Stackable with other coupons')}
        </Section>
        <Section title="Attribution">
          {text('channel', 'Channel', { maxLength: 100 }, 'For example email, social, events')}
          {text('partner', 'Partner', { maxLength: 100 })}
          {text('referrer', 'Referrer customer id', { maxLength: 100 })}
        </Section>
        <Section title="Metadata">
          <MetaRows rows={f.metadata} onChange={(v) => set('metadata', v)} error={errors.metadata} />
        </Section>
        <div className="actions">
          <Link className="button" to={original ? `/coupons/${original.id}` : '/coupons'}>Cancel</Link>
          <RequireScope scope="coupons:write" what="Saving a coupon"><button type="submit" className="primary" disabled={busy}>{original ? 'Save changes' : 'Save coupon'}</button></RequireScope>
        </div>
      </form>
    </>
  );
}
