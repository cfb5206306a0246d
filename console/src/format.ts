import type { Discount, Duration } from '../../src/contracts/types';

/** Amounts in minor units by currency, as the API writes them. */
export type Money = Record<string, number>;

const fractionDigits = (currency: string): number => {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
};

/** Minor units to a localised amount (1500 USD → $15.00). */
export function money(minor: number, currency: string): string {
  const digits = fractionDigits(currency);
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 10 ** digits);
  } catch {
    return `${minor} ${currency}`;
  }
}

export function moneyMap(m: Money | undefined): string {
  const entries = Object.entries(m ?? {});
  return entries.length ? entries.map(([c, v]) => money(v, c)).join(', ') : '—';
}

/** A typed major-unit amount ("15.00") to minor units for the currency; NaN when not a number. */
export function toMinor(major: string, currency: string): number {
  const n = Number(major);
  if (major.trim() === '' || !Number.isFinite(n)) return Number.NaN;
  return Math.round(n * 10 ** fractionDigits(currency));
}

export function toMajor(minor: number, currency: string): string {
  const d = fractionDigits(currency);
  return (minor / 10 ** d).toFixed(d);
}

export const int = (n: number) => new Intl.NumberFormat('en').format(n);
export const percent = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)} %`);

export function discountText(d: Discount): string {
  switch (d.type) {
    case 'percentage':
      return `${d.basisPoints / 100} % off`;
    case 'fixed_amount':
      return `${Object.entries(d.amounts).map(([c, v]) => money(v, c)).join(' / ')} off`;
    case 'free_trial':
      return `${d.days}-day free trial`;
    case 'free_shipping':
      return 'Free shipping';
    case 'none':
      return 'No discount (access only)';
  }
}

export function durationText(d: Duration): string {
  switch (d.type) {
    case 'once':
      return 'First invoice only';
    case 'repeating':
      return `First ${d.cycles} billing cycles`;
    case 'forever':
      return 'Forever';
    case 'months':
      return `For ${d.months} month${d.months === 1 ? '' : 's'}`;
    case 'until':
      return `Until ${d.date}`;
  }
}

/** An instant shown in a zone: "Dec 1, 2026, 9:30 AM". */
export function dateTime(iso: string | null | undefined, zone: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function dateOnly(iso: string | null | undefined, zone: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, dateStyle: 'medium' }).format(new Date(iso));
}

function parts(ms: number, zone: string): Record<string, number> {
  const out: Record<string, number> = {};
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The zone's offset from UTC at an instant, in minutes. */
function offsetMinutes(ms: number, zone: string): number {
  const p = parts(ms, zone);
  return Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000) / 60000);
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** A wall time "YYYY-MM-DDTHH:mm" in a zone to an ISO instant with that zone's offset. */
export function zonedToIso(local: string, zone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return local;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let off = offsetMinutes(wall, zone);
  off = offsetMinutes(wall - off * 60000, zone);
  const sign = off < 0 ? '-' : '+';
  return `${local}:00${sign}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

/** An instant to the wall time "YYYY-MM-DDTHH:mm" of a zone (for a datetime-local input). */
export function isoToZoned(iso: string | null, zone: string): string {
  if (!iso) return '';
  const p = parts(Date.parse(iso), zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** Today's date (YYYY-MM-DD) in a zone, and a date some days before it. */
export function todayIn(zone: string, now = Date.now()): string {
  const p = parts(now, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

export const STATUS_LABEL: Record<string, string> = {
  active: 'Active',
  draft: 'Draft',
  scheduled: 'Scheduled',
  disabled: 'Disabled',
  expired: 'Expired',
  exhausted: 'Used up',
  archived: 'Archived',
  enabled: 'Enabled',
  pending: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  ended: 'Ended',
  voided: 'Voided',
};
