/**
 * The coupon form's state and the request body it sends, without React: a form state from a
 * coupon (for an edit), and the POST/PATCH body from a form state.
 */
import type { Coupon, CouponCreateBody, Discount, Duration } from '../../src/contracts/types';
import { isoToZoned, toMajor, toMinor, zonedToIso } from './format';

export type AppliesToBody = NonNullable<CouponCreateBody['appliesTo']>;
export type EligibilityBody = NonNullable<CouponCreateBody['eligibility']>;
export type LineKind = NonNullable<AppliesToBody['lineKinds']>[number];
export type Action = NonNullable<AppliesToBody['actions']>[number];
export type PlanKind = NonNullable<AppliesToBody['planKinds']>[number];
type PlanMatch = NonNullable<Exclude<AppliesToBody['plans'], 'all' | undefined>['include']>;
type Interval = NonNullable<PlanMatch['intervals']>[number];
type Budget = NonNullable<NonNullable<CouponCreateBody['limits']>['budget']>;
export type BudgetPeriod = NonNullable<Budget['period']>;

/** One currency's amount as typed: an ISO 4217 code and major units ("50.00"). */
export interface MoneyRow {
  currency: string;
  amount: string;
}

/** One metadata entry as typed. */
export interface MetaRow {
  key: string;
  value: string;
}

export const LINE_KINDS: readonly LineKind[] = ['recurring', 'setup_fee', 'component', 'one_time', 'shipping'];
export const ACTIONS: readonly Action[] = ['new_subscription', 'renewal', 'upgrade', 'downgrade', 'one_time_purchase'];
export const PLAN_KINDS: readonly PlanKind[] = ['recurring', 'one_time'];
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['day', 'week', 'month'];

export interface FormState {
  name: string;
  description: string;
  code: string;
  status: 'active' | 'draft';
  discountType: Discount['type'];
  percent: string;
  amount: string;
  currency: string;
  trialDays: string;
  durationType: Duration['type'];
  cycles: string;
  months: string;
  untilDate: string;
  plans: string;
  families: string;
  intervals: string;
  excludePlans: string;
  excludeFamilies: string;
  excludeIntervals: string;
  planKinds: PlanKind[];
  minimumAmounts: MoneyRow[];
  lineKinds: LineKind[];
  actions: Action[];
  switches: NonNullable<AppliesToBody['switches']>;
  customers: NonNullable<EligibilityBody['customers']>;
  emailDomains: string;
  regions: string;
  maxRedemptions: string;
  perCustomer: string;
  budget: MoneyRow[];
  /** '' : over the coupon's whole life */
  budgetPeriod: BudgetPeriod | '';
  validFrom: string;
  expiryType: 'never' | 'on' | 'after';
  expiresOn: string;
  expiresAfterDays: string;
  overflow: Coupon['overflow'] | '';
  stackable: boolean;
  channel: string;
  partner: string;
  referrer: string;
  grantsAccess: boolean;
  metadata: MetaRow[];
}

/** "month", "3 months": an interval as the form shows it. */
export function intervalText(i: Interval): string {
  return i.count === 1 ? i.unit : `${i.count} ${i.unit}s`;
}

const INTERVAL = /^(?:(\d+)\s*)?(day|week|month|year)s?$/i;

/** The intervals typed ("month, 3 months, year"); null when one of them is not an interval. */
export function parseIntervals(text: string): Interval[] | null {
  const out: Interval[] = [];
  for (const t of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = INTERVAL.exec(t);
    if (!m) return null;
    out.push({ unit: m[2].toLowerCase() as Interval['unit'], count: m[1] === undefined ? 1 : Number(m[1]) });
  }
  return out;
}

/** Amounts per currency as rows, by currency code. */
const moneyRows = (m: Record<string, number> | undefined): MoneyRow[] =>
  Object.entries(m ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, minor]) => ({ currency, amount: toMajor(minor, currency) }));

/** The rows as `{CUR: minor units}` (rows left blank are skipped; an amount that is not a number is NaN, which the API refuses naming the currency). */
export function moneyAmounts(rows: MoneyRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const currency = r.currency.trim().toUpperCase();
    if (currency === '' && r.amount.trim() === '') continue;
    out[currency] = toMinor(r.amount, currency);
  }
  return out;
}

/** A metadata value as typed: text as it is, anything else (a number, a list) as JSON. */
const metaText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The metadata rows as an object. A value typed as text stays text, except that an entry whose
 * text is unchanged keeps the coupon's value (a number or object set through the API stays one).
 */
export function metadataBody(rows: MetaRow[], original: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    const key = r.key.trim();
    if (key === '' && r.value === '') continue;
    const before = original?.[key];
    out[key] = before !== undefined && metaText(before) === r.value ? before : r.value;
  }
  return out;
}

/**
 * What the form can tell before asking the API: an interval it cannot read, a currency given
 * twice or missing, a metadata key given twice or missing. Keyed by the input.
 */
export function formProblems(f: FormState): Partial<Record<keyof FormState, string>> {
  const out: Partial<Record<keyof FormState, string>> = {};
  for (const k of ['intervals', 'excludeIntervals'] as const) {
    if (parseIntervals(f[k]) === null) out[k] = 'Write intervals as day, week, month or year, with a count before them if more than one (for example: month, 3 months, year).';
  }
  for (const k of ['minimumAmounts', 'budget'] as const) {
    const typed = f[k].filter((r) => r.currency.trim() !== '' || r.amount.trim() !== '').map((r) => r.currency.trim().toUpperCase());
    if (typed.includes('')) out[k] = 'Every amount needs its currency.';
    else if (new Set(typed).size !== typed.length) out[k] = 'Give each currency once.';
  }
  const keys = f.metadata.filter((r) => r.key.trim() !== '' || r.value !== '').map((r) => r.key.trim());
  if (keys.includes('')) out.metadata = 'Every value needs its key.';
  else if (new Set(keys).size !== keys.length) out.metadata = 'Give each key once.';
  return out;
}

export function fromCoupon(c: Coupon | undefined, currency: string): FormState {
  const d = c?.discount;
  const du = c?.duration;
  const rules = c && c.appliesTo.plans !== 'all' ? c.appliesTo.plans : {};
  const amountCurrency = d?.type === 'fixed_amount' ? Object.keys(d.amounts)[0] ?? currency : currency;
  return {
    name: c?.name ?? '',
    description: c?.description ?? '',
    code: '',
    status: 'active',
    discountType: d?.type ?? 'percentage',
    percent: d?.type === 'percentage' ? String(d.basisPoints / 100) : '',
    amount: d?.type === 'fixed_amount' ? toMajor(d.amounts[amountCurrency], amountCurrency) : '',
    currency: amountCurrency,
    trialDays: d?.type === 'free_trial' ? String(d.days) : '',
    durationType: du?.type ?? 'once',
    cycles: du?.type === 'repeating' ? String(du.cycles) : '',
    months: du?.type === 'months' ? String(du.months) : '',
    untilDate: du?.type === 'until' ? du.date : '',
    plans: (rules.include?.planIds ?? []).join(', '),
    families: (rules.include?.families ?? []).join(', '),
    intervals: (rules.include?.intervals ?? []).map(intervalText).join(', '),
    excludePlans: (rules.exclude?.planIds ?? []).join(', '),
    excludeFamilies: (rules.exclude?.families ?? []).join(', '),
    excludeIntervals: (rules.exclude?.intervals ?? []).map(intervalText).join(', '),
    planKinds: c?.appliesTo.planKinds ?? [],
    minimumAmounts: moneyRows(c?.appliesTo.minimumAmounts),
    lineKinds: c?.appliesTo.lineKinds ?? [],
    actions: c?.appliesTo.actions ?? [],
    switches: c?.appliesTo.switches ?? 'any',
    customers: c?.eligibility.customers ?? 'any',
    emailDomains: (c?.eligibility.emailDomains ?? []).join(', '),
    regions: (c?.eligibility.regions ?? []).flatMap((r) => (r.regions?.length ? r.regions : [r.country])).join(', '),
    maxRedemptions: c?.limits.maxRedemptions ? String(c.limits.maxRedemptions) : '',
    perCustomer: c?.limits.perCustomer ? String(c.limits.perCustomer) : '',
    budget: moneyRows(c?.limits.budget?.amounts),
    budgetPeriod: c?.limits.budget?.period ?? '',
    validFrom: c?.validFrom ? isoToZoned(c.validFrom, c.timeZone) : '',
    expiryType: c?.expiresOn ? 'on' : c?.expiresAfterDays ? 'after' : 'never',
    expiresOn: c?.expiresOn ?? '',
    expiresAfterDays: c?.expiresAfterDays ? String(c.expiresAfterDays) : '',
    overflow: c?.overflow ?? '',
    stackable: c?.stackable ?? false,
    channel: c?.attribution?.channel ?? '',
    partner: c?.attribution?.partner ?? '',
    referrer: c?.attribution?.referrerCustomerId ?? '',
    grantsAccess: c?.grantsAccess ?? false,
    metadata: Object.entries(c?.metadata ?? {}).map(([key, v]) => ({ key, value: metaText(v) })),
  };
}

const list = (s: string) => s.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);
const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));
const optNum = (s: string) => (s.trim() === '' ? null : Number(s));

function regions(s: string) {
  const byCountry = new Map<string, string[]>();
  for (const t of list(s).map((x) => x.toUpperCase())) {
    const country = t.split('-')[0];
    const subs = byCountry.get(country) ?? [];
    if (t.includes('-')) subs.push(t);
    byCountry.set(country, subs);
  }
  return [...byCountry].map(([country, subs]) => (subs.length ? { country, regions: subs } : { country }));
}

/** The plan scope from the form: included and excluded plan ids, families and intervals; with none, "all". */
export function planScope(f: Pick<FormState, 'plans' | 'families' | 'intervals' | 'excludePlans' | 'excludeFamilies' | 'excludeIntervals'>): AppliesToBody['plans'] {
  const match = (ids: string, families: string, intervals: string): PlanMatch | null => {
    const m: PlanMatch = {};
    if (list(ids).length) m.planIds = list(ids);
    if (families.split(',').some((x) => x.trim())) m.families = families.split(',').map((x) => x.trim()).filter(Boolean);
    const ints = parseIntervals(intervals) ?? [];
    if (ints.length) m.intervals = ints;
    return Object.keys(m).length ? m : null;
  };
  const include = match(f.plans, f.families, f.intervals);
  const exclude = match(f.excludePlans, f.excludeFamilies, f.excludeIntervals);
  if (!include && !exclude) return 'all';
  return { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) };
}

/** The body of POST /v1/coupons; for an edit (no status, no code) that of PATCH /v1/coupons/{id}. */
export function toBody(f: FormState, zone: string, original: Coupon | undefined): CouponCreateBody {
  const discount: Discount =
    f.discountType === 'percentage'
      ? { type: 'percentage', basisPoints: Math.round(num(f.percent) * 100) }
      : f.discountType === 'fixed_amount'
        ? // the form edits one currency's amount; an edit keeps the coupon's other currencies
          { type: 'fixed_amount', amounts: { ...(original?.discount.type === 'fixed_amount' ? original.discount.amounts : {}), [f.currency]: toMinor(f.amount, f.currency) } }
        : f.discountType === 'free_trial'
          ? { type: 'free_trial', days: num(f.trialDays) }
          : { type: f.discountType };
  const duration: Duration =
    f.durationType === 'repeating'
      ? { type: 'repeating', cycles: num(f.cycles) }
      : f.durationType === 'months'
        ? { type: 'months', months: num(f.months) }
        : f.durationType === 'until'
          ? { type: 'until', date: f.untilDate }
          : { type: f.durationType };
  // an edit starts from the coupon's scope, so a field the form does not know is sent back as it was
  const appliesTo: AppliesToBody = { ...original?.appliesTo, plans: planScope(f) };
  if (f.planKinds.length) appliesTo.planKinds = f.planKinds;
  else delete appliesTo.planKinds;
  const minimums = moneyAmounts(f.minimumAmounts);
  if (Object.keys(minimums).length) appliesTo.minimumAmounts = minimums;
  else delete appliesTo.minimumAmounts;
  if (f.lineKinds.length) appliesTo.lineKinds = f.lineKinds;
  else delete appliesTo.lineKinds;
  if (f.actions.length) appliesTo.actions = f.actions;
  else delete appliesTo.actions;
  if (f.switches !== 'any' || original?.appliesTo.switches) appliesTo.switches = f.switches;
  const eligibility: EligibilityBody = { customers: f.customers };
  if (list(f.emailDomains).length) eligibility.emailDomains = list(f.emailDomains);
  if (list(f.regions).length) eligibility.regions = regions(f.regions);
  const body: CouponCreateBody = {
    name: f.name,
    description: f.description.trim() === '' ? null : f.description,
    discount,
    duration,
    appliesTo,
    eligibility,
    limits: { maxRedemptions: optNum(f.maxRedemptions), perCustomer: optNum(f.perCustomer), ...budgetBody(f, original) },
    validFrom: f.validFrom ? zonedToIso(f.validFrom, zone) : null,
    stackable: f.stackable,
  };
  if (f.expiryType === 'on') body.expiresOn = f.expiresOn || null;
  else if (f.expiryType === 'after') body.expiresAfterDays = optNum(f.expiresAfterDays);
  else if (original && (original.expiresOn || original.expiresAfterDays)) {
    // "never" chosen over an expiry the form showed; an expiry set as an instant through the API
    // (expiresAt alone) is not shown, so it is kept
    body.expiresOn = null;
    body.expiresAfterDays = null;
    body.expiresAt = null;
  }
  if (f.overflow) body.overflow = f.overflow;
  const attribution: NonNullable<CouponCreateBody['attribution']> = {};
  if (f.channel.trim()) attribution.channel = f.channel.trim();
  if (f.partner.trim()) attribution.partner = f.partner.trim();
  if (f.referrer.trim()) attribution.referrerCustomerId = f.referrer.trim();
  if (Object.keys(attribution).length) body.attribution = attribution;
  else if (original && Object.keys(original.attribution).length) body.attribution = null;
  if (f.grantsAccess || original?.grantsAccess) body.grantsAccess = f.grantsAccess;
  const metadata = metadataBody(f.metadata, original?.metadata);
  if (Object.keys(metadata).length) body.metadata = metadata;
  else if (original && Object.keys(original.metadata ?? {}).length) body.metadata = null;
  if (!original) {
    body.status = f.status;
    if (f.code.trim()) body.code = f.code.trim();
    return body;
  }
  return changedOnly(body, f, fromCoupon(original, f.currency));
}

/** `{budget}` from the form: the amounts and period; `{budget: null}` when an edit clears it; `{}` with none. */
function budgetBody(f: FormState, original: Coupon | undefined): { budget?: Budget | null } {
  const amounts = moneyAmounts(f.budget);
  if (Object.keys(amounts).length) return { budget: { amounts, period: f.budgetPeriod || null } };
  return original?.limits.budget ? { budget: null } : {};
}

/** The body fields each group of form inputs writes. */
const GROUPS: [(keyof CouponCreateBody)[], (keyof FormState)[]][] = [
  [['name'], ['name']],
  [['description'], ['description']],
  [['discount'], ['discountType', 'percent', 'amount', 'currency', 'trialDays']],
  [['duration'], ['durationType', 'cycles', 'months', 'untilDate']],
  [['appliesTo'], ['plans', 'families', 'intervals', 'excludePlans', 'excludeFamilies', 'excludeIntervals', 'planKinds', 'minimumAmounts', 'lineKinds', 'actions', 'switches']],
  [['eligibility'], ['customers', 'emailDomains', 'regions']],
  [['limits'], ['maxRedemptions', 'perCustomer', 'budget', 'budgetPeriod']],
  [['validFrom'], ['validFrom']],
  [['expiresOn', 'expiresAfterDays', 'expiresAt'], ['expiryType', 'expiresOn', 'expiresAfterDays']],
  [['overflow'], ['overflow']],
  [['stackable'], ['stackable']],
  [['attribution'], ['channel', 'partner', 'referrer']],
  [['grantsAccess'], ['grantsAccess']],
  [['metadata'], ['metadata']],
];

/**
 * An edit's PATCH carries only the groups whose inputs changed: a field left alone is not sent,
 * so it is neither rewritten in the form's narrower shape nor counted as an edit of terms that
 * redemptions have locked.
 */
function changedOnly(body: CouponCreateBody, f: FormState, before: FormState): CouponCreateBody {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const out: Record<string, unknown> = {};
  for (const [fields, inputs] of GROUPS) {
    if (inputs.every((k) => same(f[k], before[k]))) continue;
    for (const field of fields) if (field in body) out[field] = body[field];
  }
  return out as CouponCreateBody;
}
