/**
 * Every redemption refusal of API.md, in SPEC §3.5's check order (the first that fails is
 * answered), with the growth refusals in their places: `coupon_not_found` (a direct coupon that
 * does not exist) first, `invitation_required` right after `plan_not_eligible`,
 * `switch_not_eligible` right after `action_not_eligible`; and the checkout ones:
 * `hold_not_active` (a redemption naming a hold it cannot use) before everything,
 * `budget_exhausted` right after `code_exhausted`, `minimum_not_met` right after
 * `currency_mismatch`.
 */
export const REFUSAL_CODES = [
  'hold_not_active',
  'code_not_found',
  'coupon_not_found',
  'coupon_archived',
  'code_disabled',
  'code_not_yet_valid',
  'code_expired',
  'code_exhausted',
  'budget_exhausted',
  'code_restricted_to_customer',
  'one_time_purchase_not_allowed',
  'plan_not_eligible',
  'invitation_required',
  'action_not_eligible',
  'switch_not_eligible',
  'currency_mismatch',
  'minimum_not_met',
  'new_customers_only',
  'existing_customers_only',
  'email_domain_not_allowed',
  'region_not_allowed',
  'customer_limit_reached',
  'already_discounted',
] as const;

export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Default human sentence for each refusal. */
export const REFUSAL_MESSAGES: Readonly<Record<RefusalCode, string>> = {
  hold_not_active: 'The hold is not active, or belongs to another customer, code or coupon.',
  code_not_found: 'This code does not exist.',
  coupon_not_found: 'This coupon does not exist.',
  coupon_archived: 'This code belongs to an archived coupon and can no longer be used.',
  code_disabled: 'This code is not active.',
  code_not_yet_valid: 'This code is not valid yet.',
  code_expired: 'This code has expired.',
  code_exhausted: 'This code has reached its redemption limit.',
  budget_exhausted: 'This coupon has spent its discount budget for the period.',
  code_restricted_to_customer: 'This code is reserved for another customer.',
  one_time_purchase_not_allowed: 'This coupon recurs and cannot be used on a one-time purchase.',
  plan_not_eligible: 'This code does not apply to the selected plan.',
  invitation_required: 'This plan is by invitation only: a code that grants access is required.',
  action_not_eligible: 'This code does not apply to this kind of purchase.',
  switch_not_eligible: 'This code does not apply to this plan switch.',
  currency_mismatch: 'This code has no discount in the purchase currency.',
  minimum_not_met: "The plan's price is below this coupon's minimum amount.",
  new_customers_only: 'This code is for new customers only.',
  existing_customers_only: 'This code is for existing customers only.',
  email_domain_not_allowed: "This code is not available for the customer's email domain.",
  region_not_allowed: "This code is not available in the customer's region.",
  customer_limit_reached: 'The customer has already used this code the maximum number of times.',
  already_discounted: 'The subscription already has a discount that cannot be combined with this one.',
};

export function isRefusalCode(value: string): value is RefusalCode {
  return (REFUSAL_CODES as readonly string[]).includes(value);
}
