import { sql, type Expression, type RawBuilder } from 'kysely';
import {
  CODE_STATUS_CHECKS, COUPON_STATUS_CHECKS, LIVE_STATE, NEARLY_EXHAUSTED_PERCENT, STATUS_PRECEDENCE, type DerivedCheck, type EffectiveStatus,
} from '../domain';

/**
 * The derived statuses of src/domain/status.ts as SQL, built from the domain's constants
 * (LIVE_STATE, COUPON_STATUS_CHECKS, CODE_STATUS_CHECKS, STATUS_PRECEDENCE), so the order of
 * the rules is written once. Every builder takes the table alias whose columns it reads
 * (`state`, `valid_from`, `expires_at`, `max_redemptions`, `times_redeemed`) and `now`: an ISO
 * instant (bound as a parameter) or an SQL expression (e.g. `sql.raw(literal)` where nothing can
 * be bound, as in COPY). Use them in kysely queries (`em.getKysely()`) or `sql` templates.
 */

/** `now` as a timestamptz expression. */
export type Now = string | Expression<unknown>;

const nowSql = (now: Now): Expression<unknown> => (typeof now === 'string' ? sql`${now}::timestamptz` : now);

/** The predicate of one derived check on alias `t` (mirrors isExpired, isExhausted, isScheduled). */
function checkSql(check: DerivedCheck, t: string, now: Expression<unknown>): RawBuilder<boolean> {
  const col = (name: string) => sql.ref(`${t}.${name}`);
  switch (check) {
    case 'expired':
      return sql<boolean>`${col('expires_at')} is not null and ${col('expires_at')} <= ${now}`;
    case 'exhausted':
      return exhaustedSql(col('max_redemptions'), col('times_redeemed'));
    case 'scheduled':
      return sql<boolean>`${col('valid_from')} is not null and ${now} < ${col('valid_from')}`;
  }
}

function derivedStatusSql(t: string, checks: readonly DerivedCheck[], now: Now): RawBuilder<EffectiveStatus> {
  const at = nowSql(now);
  const state = sql.ref(`${t}.state`);
  const whens = checks.map((c) => sql`when ${checkSql(c, t, at)} then ${sql.lit(c)}`);
  return sql<EffectiveStatus>`(case when ${state} <> ${sql.lit(LIVE_STATE)} then ${state} ${sql.join(whens, sql` `)} else ${sql.lit('active')} end)`;
}

/** couponStatus(coupon, now) in SQL, for the coupons row aliased `t`. */
export function couponStatusSql(t: string, now: Now): RawBuilder<EffectiveStatus> {
  return derivedStatusSql(t, COUPON_STATUS_CHECKS, now);
}

/** A code's own status (stored state, then expired, then exhausted), for the codes row aliased `t`. */
export function codeOwnStatusSql(t: string, now: Now): RawBuilder<EffectiveStatus> {
  return derivedStatusSql(t, CODE_STATUS_CHECKS, now);
}

/** moreRestrictive(a, b) in SQL: whichever comes first in STATUS_PRECEDENCE. */
export function moreRestrictiveSql(a: Expression<unknown>, b: Expression<unknown>): RawBuilder<EffectiveStatus> {
  const order = sql`array[${sql.join(STATUS_PRECEDENCE.map((s) => sql.lit(s)))}]::text[]`;
  return sql<EffectiveStatus>`(case when array_position(${order}, ${a}::text) <= array_position(${order}, ${b}::text) then ${a} else ${b} end)`;
}

/** codeStatus(code, coupon, now) in SQL, for the codes row aliased `code` and its coupon aliased `coupon`. */
export function codeStatusSql(code: string, coupon: string, now: Now): RawBuilder<EffectiveStatus> {
  return moreRestrictiveSql(codeOwnStatusSql(code, now), couponStatusSql(coupon, now));
}

/** isExhausted(max, count) in SQL: every slot of the limit `max` is used (null max: never). */
export function exhaustedSql(max: Expression<unknown>, count: Expression<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(${max} is not null and (${count}) >= (${max}))`;
}

/** isNearlyExhausted(max, count) in SQL: `count` used of the limit `max` is at least NEARLY_EXHAUSTED_PERCENT (null max: never). */
export function nearlyExhaustedSql(max: Expression<unknown>, count: Expression<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(${max} is not null and (${count}) * 100 >= (${max}) * ${sql.lit(NEARLY_EXHAUSTED_PERCENT)})`;
}
