import { useEffect, useId, useState, type FormEvent } from 'react';
import { addDays, todayIn } from './format';

/** A range of local days (YYYY-MM-DD, both inclusive) in a zone, kept in the URL as range=7|30|90|all|custom[&from=&to=]. */
export type RangePreset = '7' | '30' | '90' | 'all' | 'custom';

export interface DateRange {
  preset: RangePreset;
  /** Undefined for `all`. */
  from?: string;
  to?: string;
  /** A heading's words: "last 30 days", "2026-01-01 to 2026-01-31", "all time". */
  words: string;
  /** Set when the URL's custom dates were not usable (the default preset is shown instead). */
  problem?: string;
}

/** The reports' longest day series: /v1/reports/timeseries answers at most 400 buckets. */
export const MAX_RANGE_DAYS = 400;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Days from `from` to `to`, both counted; NaN when either is not a date. */
export function daysBetween(from: string, to: string): number {
  if (!DATE.test(from) || !DATE.test(to)) return Number.NaN;
  const t = (d: string) => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10));
  return Math.round((t(to) - t(from)) / 86_400_000) + 1;
}

/** What is wrong with a custom range, or undefined. */
export function customRangeProblem(from: string, to: string): string | undefined {
  const n = daysBetween(from, to);
  if (Number.isNaN(n) || addDays(from, 0) !== from || addDays(to, 0) !== to) return 'Enter both dates as dates.';
  if (n < 1) return 'The first day must not be after the last day.';
  if (n > MAX_RANGE_DAYS) return `A range holds at most ${MAX_RANGE_DAYS} days.`;
  return undefined;
}

function preset(n: number, zone: string, now: number): DateRange {
  const to = todayIn(zone, now);
  return { preset: String(n) as RangePreset, from: addDays(to, -(n - 1)), to, words: `last ${n} days` };
}

/** The range the URL holds (presets end today in the zone); `fallback` when it holds none or a bad one. */
export function readDateRange(search: URLSearchParams, zone: string, fallback: '30' | 'all' = '30', now = Date.now()): DateRange {
  const r = search.get('range') ?? fallback;
  const byDefault = (): DateRange => (fallback === 'all' ? { preset: 'all', words: 'all time' } : preset(30, zone, now));
  if (r === '7' || r === '30' || r === '90') return preset(Number(r), zone, now);
  if (r === 'all' && fallback === 'all') return { preset: 'all', words: 'all time' };
  if (r === 'custom') {
    const from = search.get('from') ?? '';
    const to = search.get('to') ?? '';
    const problem = customRangeProblem(from, to);
    if (!problem) return { preset: 'custom', from, to, words: `${from} to ${to}` };
    return { ...byDefault(), problem: `The dates in the address were not usable (${problem}) — showing ${byDefault().words}.` };
  }
  return byDefault();
}

/** The URL parameters of a range (every other parameter of the page is the caller's). */
export function rangeParams(r: { preset: RangePreset; from?: string; to?: string }): Record<string, string | undefined> {
  return r.preset === 'custom' ? { range: 'custom', from: r.from, to: r.to } : { range: r.preset, from: undefined, to: undefined };
}

/**
 * Presets (7, 30, 90 days, optionally all time) as radio buttons, and custom from/to dates applied
 * with a button; `onChange` gets the URL parameters of the chosen range.
 */
export function DateRangePicker({
  range,
  zone,
  allowAll,
  onChange,
}: {
  range: DateRange;
  zone: string;
  allowAll?: boolean;
  onChange: (params: Record<string, string | undefined>) => void;
}) {
  const id = useId();
  const [custom, setCustom] = useState(range.preset === 'custom');
  const [from, setFrom] = useState(range.from ?? '');
  const [to, setTo] = useState(range.to ?? '');
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setCustom(range.preset === 'custom');
    setFrom(range.from ?? '');
    setTo(range.to ?? '');
  }, [range.preset, range.from, range.to]);
  const presets: { value: RangePreset; label: string }[] = [
    { value: '7', label: '7 days' },
    { value: '30', label: '30 days' },
    { value: '90', label: '90 days' },
    ...(allowAll ? [{ value: 'all' as const, label: 'All time' }] : []),
  ];
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const problem = customRangeProblem(from, to);
    setError(problem);
    if (!problem) onChange(rangeParams({ preset: 'custom', from, to }));
  };
  return (
    <form className="range-picker" onSubmit={apply} aria-label="Date range">
      <fieldset className="segmented">
        <legend>Date range ({zone})</legend>
        {presets.map((p) => (
          <label key={p.value}>
            <input
              type="radio"
              name={`${id}-range`}
              checked={!custom && range.preset === p.value}
              onChange={() => {
                setCustom(false);
                setError(undefined);
                onChange(rangeParams({ preset: p.value }));
              }}
            />{' '}
            {p.label}
          </label>
        ))}
        <label>
          <input
            type="radio"
            name={`${id}-range`}
            checked={custom}
            onChange={() => {
              setCustom(true);
              if (!from && range.from) setFrom(range.from);
              if (!to && range.to) setTo(range.to);
            }}
          />{' '}
          Custom
        </label>
      </fieldset>
      {custom && (
        <div className="range-custom">
          <div className="field">
            <label htmlFor={`${id}-from`}>From (first day)</label>
            <input id={`${id}-from`} type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-err` : undefined} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>To (last day)</label>
            <input id={`${id}-to`} type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-err` : undefined} />
          </div>
          <button type="submit">Apply range</button>
        </div>
      )}
      {error && <p id={`${id}-err`} className="field-error" role="alert">{error}</p>}
      {range.problem && <p className="notice notice-info" role="status">{range.problem}</p>}
    </form>
  );
}
