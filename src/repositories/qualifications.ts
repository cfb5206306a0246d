import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { normalizeCode } from '../domain';
import { codeRowFrom, type CodeRow } from './codes';
import { couponRowFrom, type CouponRow, type CouponStoredRow } from './coupons';
import type { JsonRow } from '../db/rows';

/** One offer a qualification may list: a direct coupon (code null) or a code with its coupon. */
export interface Candidate {
  coupon: CouponRow;
  code: CodeRow | null;
}

/**
 * The direct coupons of the account (stored state active, no live code: the billing system
 * applies them by id) and the codes asked for — each as the redemption's lookup finds it (the
 * live code, else the latest archived one; deleted codes are not found) — with their coupons, in
 * two statements. Answers the candidates and the asked texts that name no code.
 */
export async function qualificationCandidates(em: Em, accountId: string, codes: string[]): Promise<{ candidates: Candidate[]; unknown: string[] }> {
  const db = em.getKysely();
  const texts = [...new Set(codes.map(normalizeCode))];
  const { rows: direct } = await sql<CouponStoredRow>`
    select k.*, null as first_code from coupons k
     where k.account_id = ${accountId}::uuid and k.state = 'active'
       and not exists (select 1 from codes c where c.coupon_id = k.id and c.deleted_at is null)`.execute(db);
  const { rows: found } = texts.length === 0 ? { rows: [] } : await sql<{ code_row: JsonRow<'codes'>; coupon_row: JsonRow<'coupons'> & { first_code: string | null } }>`
    select distinct on (c.code) to_jsonb(c) as code_row,
           to_jsonb(k) || jsonb_build_object('first_code', (select c2.code from codes c2 where c2.coupon_id = k.id and c2.deleted_at is null order by c2.id limit 1)) as coupon_row
      from codes c join coupons k on k.id = c.coupon_id
     where c.account_id = ${accountId}::uuid and c.code = any(${texts}::text[]) and c.deleted_at is null
     order by c.code, (c.state <> 'archived') desc, c.id desc`.execute(db);
  const candidates: Candidate[] = [
    ...direct.map((r) => ({ coupon: couponRowFrom(r), code: null })),
    ...found.map((r) => ({ coupon: couponRowFrom(r.coupon_row), code: codeRowFrom(r.code_row) })),
  ];
  const known = new Set(found.map((r) => r.code_row.code));
  return { candidates, unknown: texts.filter((t) => !known.has(t)) };
}

/** The customer's non-voided redemptions and active holds of each coupon. */
export async function customerTakenByCoupon(em: Em, accountId: string, customerId: string, couponIds: string[]): Promise<Map<string, { redemptions: number; holds: number }>> {
  const out = new Map<string, { redemptions: number; holds: number }>();
  if (couponIds.length === 0) return out;
  const { rows } = await sql<{ coupon_id: string; redemptions: number; holds: number }>`
    select u.id as coupon_id,
           (select count(*) from redemptions r where r.account_id = ${accountId}::uuid and r.coupon_id = u.id and r.customer_id = ${customerId} and r.status <> 'voided')::int as redemptions,
           (select count(*) from holds h where h.coupon_id = u.id and h.customer_id = ${customerId} and h.status = 'active')::int as holds
      from unnest(${couponIds}::uuid[]) as u(id)`.execute(em.getKysely());
  for (const r of rows) out.set(r.coupon_id, { redemptions: Number(r.redemptions), holds: Number(r.holds) });
  return out;
}
