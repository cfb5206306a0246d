/** Account settings: time zone, currency, overflow and rounding mode (`GET`/`PATCH /v1/account`). */
import { useEffect, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, apiPath, get, type Account, type AccountPatchBody, type Rounding } from '../api';
import { Field, Notice, errorText } from '../components';

type Settings = Pick<Account, 'timeZone' | 'currency' | 'overflow' | 'rounding'>;
const KEYS: (keyof Settings)[] = ['timeZone', 'currency', 'overflow', 'rounding'];

const OVERFLOW: [Account['overflow'], string][] = [
  ['cap', 'Cap at the invoice total (never below zero)'],
  ['minimum_charge', 'Keep a minimum charge (one minor unit)'],
  ['credit', 'Carry the rest as credit'],
];

const ROUNDING: [Rounding, string][] = [
  ['half_up', 'Half up (0.5 → 1; the default)'],
  ['half_even', 'Half even (0.5 → 0, 1.5 → 2)'],
  ['down', 'Down (towards zero)'],
  ['up', 'Up (away from zero)'],
];

/** The zones this browser knows, offered as suggestions (the service checks the zone itself). */
function zones(): string[] {
  const intl = Intl as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

export function AccountSettings() {
  const account = useQuery({ queryKey: ['account'], queryFn: () => get<Account>(apiPath`/v1/account`) });
  useEffect(() => {
    document.title = 'Account settings · Couponflow';
  }, []);
  return (
    <>
      <h1>Account settings</h1>
      {account.isPending && <p role="status" className="state">Loading the account…</p>}
      {account.isError && (
        <div role="alert" className="state state-error">
          <p>Could not load the account: {errorText(account.error)}</p>
          <button type="button" onClick={() => void account.refetch()}>Retry</button>
        </div>
      )}
      {account.data && <SettingsForm key={account.data.id} account={account.data} />}
    </>
  );
}

function SettingsForm({ account }: { account: Account }) {
  const client = useQueryClient();
  const [f, setF] = useState<Settings>(() => ({ timeZone: account.timeZone, currency: account.currency, overflow: account.overflow, rounding: account.rounding }));
  const [errors, setErrors] = useState<Partial<Record<keyof Settings, string>>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Settings>(k: K, v: Settings[K]) => {
    setSaved(null);
    setF((s) => ({ ...s, [k]: v }));
  };
  const zoneList = zones();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setGeneral(null);
    setSaved(null);
    const body: AccountPatchBody = {};
    const typed = { ...f, timeZone: f.timeZone.trim(), currency: f.currency.trim().toUpperCase() };
    for (const k of KEYS) if (typed[k] !== account[k]) Object.assign(body, { [k]: typed[k] });
    if (Object.keys(body).length === 0) {
      setSaved('Nothing changed.');
      return;
    }
    setBusy(true);
    try {
      const next = await api<Account>('PATCH', apiPath`/v1/account`, body);
      client.setQueryData(['account'], next);
      setF({ timeZone: next.timeZone, currency: next.currency, overflow: next.overflow, rounding: next.rounding });
      setSaved('Settings saved.');
    } catch (err) {
      const field = err instanceof ApiError ? err.field?.replace(/^body\./, '') : undefined;
      if (field && (KEYS as string[]).includes(field)) setErrors({ [field]: errorText(err) });
      else setGeneral(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="coupon-form" noValidate>
      <Notice>
        These settings apply from now on. Every existing redemption keeps the terms, overflow and rounding mode it was made with, and each coupon keeps the
        time zone and overflow it was created with (a new time zone moves no existing coupon’s dates).
      </Notice>
      {general && <Notice kind="error">{general}</Notice>}
      {saved && <Notice kind="success">{saved}</Notice>}
      <fieldset className="section">
        <legend>Account {account.name}</legend>
        <Field label="Time zone" error={errors.timeZone} hint="IANA name, for example America/New_York. New coupons take it; the console shows dates in it.">
          {(p) => (
            <>
              <input {...p} value={f.timeZone} list="time-zones" autoComplete="off" onChange={(e) => set('timeZone', e.target.value)} />
              <datalist id="time-zones">
                {zoneList.map((z) => <option key={z} value={z} />)}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Currency" error={errors.currency} hint="ISO 4217, for example USD: the currency reports use when none is asked for, and the console's default for figures and new amounts.">
          {(p) => <input {...p} value={f.currency} maxLength={3} size={5} autoCapitalize="characters" onChange={(e) => set('currency', e.target.value)} />}
        </Field>
        <Field label="When a discount exceeds the invoice (default for new coupons)" error={errors.overflow}>
          {(p) => (
            <select {...p} value={f.overflow} onChange={(e) => set('overflow', e.target.value as Account['overflow'])}>
              {OVERFLOW.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </select>
          )}
        </Field>
        <Field label="Rounding of percentage discounts" error={errors.rounding} hint="How a percentage of an amount that is not a whole minor unit rounds; new redemptions take the mode in force.">
          {(p) => (
            <select {...p} value={f.rounding} onChange={(e) => set('rounding', e.target.value as Rounding)}>
              {ROUNDING.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </select>
          )}
        </Field>
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>Save settings</button>
      </div>
    </form>
  );
}
