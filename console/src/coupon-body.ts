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

export const LINE_KINDS: readonly LineKind[] = ['recurring', 'setup_fee', 'component', 'one_time', 'shipping'];
export const ACTIONS: readonly Action[] = ['new_subscription', 'renewal', 'upgrade', 'downgrade', 'one_time_purchase'];

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
  lineKinds: LineKind[];
  actions: Action[];
  switches: NonNullable<AppliesToBody['switches']>;
  customers: NonNullable<EligibilityBody['customers']>;
  emailDomains: string;
  regions: string;
  maxRedemptions: string;
  perCustomer: string;
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
}

export function fromCoupon(c: Coupon | undefined, currency: string): FormState {
  const d = c?.discount;
  const du = c?.duration;
  const plans = c && c.appliesTo.plans !== 'all' ? (c.appliesTo.plans.include?.planIds ?? []).join(', ') : '';
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
    plans,
    lineKinds: c?.appliesTo.lineKinds ?? [],
    actions: c?.appliesTo.actions ?? [],
    switches: c?.appliesTo.switches ?? 'any',
    customers: c?.eligibility.customers ?? 'any',
    emailDomains: (c?.eligibility.emailDomains ?? []).join(', '),
    regions: (c?.eligibility.regions ?? []).flatMap((r) => (r.regions?.length ? r.regions : [r.country])).join(', '),
    maxRedemptions: c?.limits.maxRedemptions ? String(c.limits.maxRedemptions) : '',
    perCustomer: c?.limits.perCustomer ? String(c.limits.perCustomer) : '',
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

/**
 * The plan scope: the form edits the included plan ids only. An edited coupon keeps its other
 * plan rules (included families and intervals, every exclusion); with none left it is "all".
 */
export function planScope(text: string, original: Coupon | undefined): AppliesToBody['plans'] {
  const ids = list(text);
  const rules = original && original.appliesTo.plans !== 'all' ? original.appliesTo.plans : {};
  const { planIds: _ids, ...kept } = rules.include ?? {};
  const include = ids.length ? { ...kept, planIds: ids } : kept;
  const scope = { ...(Object.keys(include).length ? { include } : {}), ...(rules.exclude ? { exclude: rules.exclude } : {}) };
  return Object.keys(scope).length ? scope : 'all';
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
  // an edit starts from the coupon's scope, so what the form does not show (plan kinds, plan
  // families, intervals, exclusions) is sent back as it was
  const appliesTo: AppliesToBody = { ...original?.appliesTo, plans: planScope(f.plans, original) };
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
    limits: { maxRedemptions: optNum(f.maxRedemptions), perCustomer: optNum(f.perCustomer) },
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
  if (!original) {
    body.status = f.status;
    if (f.code.trim()) body.code = f.code.trim();
    return body;
  }
  return changedOnly(body, f, fromCoupon(original, f.currency));
}

/** The body fields each group of form inputs writes. */
const GROUPS: [(keyof CouponCreateBody)[], (keyof FormState)[]][] = [
  [['name'], ['name']],
  [['description'], ['description']],
  [['discount'], ['discountType', 'percent', 'amount', 'currency', 'trialDays']],
  [['duration'], ['durationType', 'cycles', 'months', 'untilDate']],
  [['appliesTo'], ['plans', 'lineKinds', 'actions', 'switches']],
  [['eligibility'], ['customers', 'emailDomains', 'regions']],
  [['limits'], ['maxRedemptions', 'perCustomer']],
  [['validFrom'], ['validFrom']],
  [['expiresOn', 'expiresAfterDays', 'expiresAt'], ['expiryType', 'expiresOn', 'expiresAfterDays']],
  [['overflow'], ['overflow']],
  [['stackable'], ['stackable']],
  [['attribution'], ['channel', 'partner', 'referrer']],
  [['grantsAccess'], ['grantsAccess']],
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
