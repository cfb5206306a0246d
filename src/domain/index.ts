/**
 * Couponflow rules engine (src/domain): pure functions, no I/O, no clock reads (`now` and the
 * zone are always arguments), Luxon for every date, integer minor units and basis points for
 * money. Everything is re-exported here; import from 'src/domain'.
 *
 * Redemption refusal order (SPEC §3.5; the first failing check is answered), see
 * decideRedemption:
 *   0 hold_not_active           the request names a hold that is not active at now, or another customer's, coupon's or code's
 *   1 code_not_found            code is null (missing or deleted)
 *   1b coupon_not_found         a direct coupon (couponId, no code) that does not exist (decideDirectRedemption)
 *   2 coupon_archived           coupon archived (or the code archived with it)
 *   3 code_disabled             coupon draft or disabled, or the code disabled
 *   4 code_not_yet_valid        now < coupon.validFrom
 *   5 code_expired              now >= coupon's or code's expiresAt
 *   6 code_exhausted            coupon's or code's timesRedeemed + active holds (less the request's own hold) >= maxRedemptions
 *   6b budget_exhausted         the coupon's budget has nothing left in the request's currency this period (not with a hold)
 *   7 code_restricted_to_customer  code.customerId set and not this customer
 *   8 one_time_purchase_not_allowed  duration not `once` on a one-time plan or one_time_purchase action
 *   9 plan_not_eligible         planInScope false (planKinds, include/exclude)
 *   9b invitation_required     an invitation_only plan, action new_subscription, coupon without grantsAccess
 *  10 action_not_eligible       appliesTo.actions given and without the action
 *  10b switch_not_eligible      appliesTo.switches restricts and this is not such a switch (src/domain/switches.ts)
 *  11 currency_mismatch         fixed_amount without an amount in the requested (else the plan's) currency
 *  11b minimum_not_met          the plan's price is below appliesTo.minimumAmounts of that currency
 *  12 new_customers_only / existing_customers_only
 *  13 email_domain_not_allowed
 *  14 region_not_allowed
 *  15 customer_limit_reached    customerRedemptionCount + the customer's active holds (less its own) >= perCustomer
 *  16 already_discounted        the subscription has an active redemption and either it or this coupon is not stackable
 *
 * Choices made where SPEC is silent:
 * - Lists: an omitted list means "no restriction"; an empty list matches nothing (e.g.
 *   `lineKinds: []` discounts no line, `actions: []` refuses every action). A PlanMatch matches
 *   a plan when ANY of its lists does (planIds OR families OR intervals); an include with no
 *   list at all counts as no include.
 * - Fixed amount on an invoice in a currency it has no amount for: no discount, but the
 *   redemption's cycle is still counted (the cycle is the subscription's invoice, not the
 *   discount); it is listed in `applied` with amount 0. Same for a redemption whose scope
 *   leaves no eligible line. Currency keys are compared case-insensitively.
 * - `applied` lists every redemption the invoice falls inside the duration of (amount may be
 *   0). free_trial and none coupons discount no invoice and are never listed, but their cycles
 *   are counted so their duration ends as configured; they never set lastCountedDiscounted.
 * - `updates` lists only redemptions whose state the invoice changed (trial invoices change
 *   none; ended redemptions only when lastCountedDiscounted goes false on a counted invoice).
 *   `cyclesApplied` counts the cycles the duration covered; an invoice outside a months/until
 *   window ends the redemption (`endedReason: 'window_passed'`) without using a cycle.
 *   once/repeating end with `endedReason: 'cycles_used'` at the invoice using the last cycle.
 *   The anchor is stored as a UTC ISO instant, set by the first counted invoice.
 * - A mid-period invoice is discounted by a redemption whose lastCountedDiscounted is true
 *   AND (for months/until) whose window holds the invoice's period start; a mid-period invoice
 *   outside an active redemption's window ends it too ("an invoice falls outside it").
 * - free_shipping always targets exactly the shipping lines (lineKinds is ignored); plan scope
 *   still applies.
 * - Overflow credit: a fixed amount above the eligible amount leaves lines at 0 and adds the
 *   excess to `credit`, provided at least one line is in scope. Percentages never overflow.
 * - Overflow minimum_charge is checked once, after all stacked redemptions: when any
 *   redemption covering the invoice uses it, the subtotal is > 0 and the total is 0, one minor
 *   unit is taken back from the last line of the last redemption that discounted anything
 *   (whatever that redemption's own overflow). Credit already granted is not changed.
 * - round_half_up rounds halves towards +infinity (money paths only see non-negative values).
 *   A redemption's terms may pin another mode (`rounding`: half_even, down, up); it applies to
 *   the percentage amount per invoice per redemption, never to the largest-remainder split.
 * - Minimum amounts (appliesTo.minimumAmounts) are judged on the in-scope lines as invoiced,
 *   before any stacked discount; below it the redemption discounts nothing and its cycle counts.
 * - Budgets: computeInvoiceDiscounts takes what each budgeted coupon has left (`budgets`) and
 *   caps that coupon's discount at it, lines in invoice order; a capped redemption gives no
 *   credit; `budgetSpent` says what the invoice took. Budget periods are calendar days, ISO
 *   weeks (from Monday) or months from local midnight in the coupon's zone (budgetPeriodAt).
 * - Holds count against every limit like redemptions (takenSlots); a redemption consuming its
 *   own usable hold takes the hold's slot, so no limit or budget refuses it.
 * - Expiry: `expiresOn` = the next local midnight after that date in the coupon's zone;
 *   `expiresAfterDays` = createdAt + N calendar days in the zone, same wall time; giving
 *   more than one is `expiry_conflict`. A coupon or code is expired when now >= expiresAt and
 *   scheduled when now < validFrom. An archived code (cascade) refuses as coupon_archived.
 * - Status: a code's own status is archived > disabled > expired > exhausted > active; its
 *   effective status is the more restrictive of that and its coupon's.
 * - checkCodeNotLooser: a code without its own limit/expiry follows the coupon's and is fine.
 * - transition: refusals use code `invalid_transition`; archive on archived → changed: false.
 * - Email domain rules may be written with a leading `@`; region/postal comparisons are
 *   case-insensitive and ignore spaces; a customer missing the compared field does not match.
 * - Codes: isValidCode accepts only ASCII letters before upper-casing. planBatch upper-cases
 *   prefix, suffix, pattern and charset; a charset needs >= 2 distinct code characters; a
 *   pattern needs at least one '#'; `length` counts random characters only (prefix/suffix
 *   not counted, as API.md says) and the whole code must still be 3..64 characters.
 *   planBatch returns the first error found (count, then length/pattern, prefix, suffix,
 *   charset, code length). checkKeyspace's `mustHold` defaults to the batch count; the caller
 *   adds the account's existing codes of the same prefix/suffix/length.
 * - generateCodes/generateCodeChunks draw characters uniformly (rejection sampling over bulk
 *   bytes, default node:crypto randomBytes, injectable), never return duplicates (checked in
 *   an exact byte hash set, ByteCodeSet) nor codes in `exclude` (pass the codes already
 *   written to resume a crashed batch without duplicates). Uniqueness against the rest of the
 *   account stays the database's job (unique index; regenerate the few collisions). A
 *   broken source (no bytes, only rejected bytes, endless duplicates) throws
 *   `random_source_exhausted` instead of looping.
 * - Results: refusals that are ordinary outcomes are returned ({ok:false,...}); malformed input
 *   (bad amounts, dates, zones, unknown plans, duplicate line ids) throws DomainError.
 * - Instants are accepted as ISO strings with offset, Date or Luxon DateTime; instants the
 *   domain produces (anchor, resolveExpiry) are UTC ISO strings; window helpers return Luxon
 *   DateTimes in the coupon zone.
 * - redemptionWindowPassed is false for ended redemptions and for a months redemption with no
 *   anchor yet (its window has not started).
 */
export * from './errors';
export * from './currencies';
export * from './money';
export * from './terms';
export * from './time';
export * from './cycles';
export * from './scope';
export * from './eligibility';
export * from './discount';
export * from './invoice';
export * from './validity';
export * from './status';
export * from './edit-rules';
export * from './lifecycle';
export * from './refusals';
export * from './redemption-decision';
export * from './codes';
export * from './batch-spec';
export * from './code-set';
export * from './code-generator';
export * from './expiry';
export * from './customers';
export * from './report-range';
export * from './event-types';
export * from './webhooks';
export * from './addresses';
export * from './attribution';
export * from './access';
export * from './switches';
export * from './report-figures';
export * from './timeseries';
export * from './csv-cells';
export * from './changes';
export * from './api-scopes';
export * from './audit';
export * from './budget';
export * from './holds';
export * from './preview';
