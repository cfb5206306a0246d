import { sql, type Expression, type RawBuilder } from 'kysely';
import type { Em } from '../db/orm';
import {
  attributionColumns,
  codeStatus,
  compactAttribution,
  isValidCode,
  type Attribution,
  normalizeCode,
  type CodeStatusInput,
  type CodeStoredStatus,
  type DecisionCode,
} from '../domain';
import { badRequest } from '../errors';
import { decodeCursor, encodeCursor } from '../cursor';
import { couponStatusInput, getCouponRow, type CouponRow } from './coupons';
import type { StoredRow } from '../db/rows';
import { iso, isoOrNull, jsonb, tstz } from '../db/values';

/** A codes row, typed and camelCased; instants are UTC ISO strings. */
export interface CodeRow {
  id: number;
  accountId: string;
  couponId: string;
  code: string;
  state: CodeStoredStatus;
  maxRedemptions: number | null;
  timesRedeemed: number;
  /** Active holds of the code. */
  held: number;
  expiresAt: string | null;
  customerId: string | null;
  metadata: Record<string, unknown> | null;
  batchId: string | null;
  /** The code's own attribution (redemptions take it over the coupon's, field by field). */
  attribution: Attribution;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** The one mapping of a codes row, read through kysely or as JSON (the redemption context's `to_jsonb`). */
export function codeRowFrom(r: StoredRow<'codes'>): CodeRow {
  return {
    id: Number(r.id),
    accountId: r.account_id,
    couponId: r.coupon_id,
    code: r.code,
    state: r.state as CodeStoredStatus,
    maxRedemptions: r.max_redemptions === null ? null : Number(r.max_redemptions),
    timesRedeemed: Number(r.times_redeemed),
    held: Number(r.held ?? 0),
    expiresAt: isoOrNull(r.expires_at),
    customerId: r.customer_id,
    metadata: r.metadata,
    batchId: r.batch_id,
    attribution: compactAttribution({ channel: r.channel, partner: r.partner, referrerCustomerId: r.referrer_customer_id }),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    deletedAt: isoOrNull(r.deleted_at),
  };
}

export function codeStatusInput(k: CodeRow): CodeStatusInput {
  return { storedStatus: k.state, expiresAt: k.expiresAt, maxRedemptions: k.maxRedemptions, timesRedeemed: k.timesRedeemed };
}

/** The code as decideRedemption takes it. */
export function decisionCode(k: CodeRow): DecisionCode {
  return { status: k.state, maxRedemptions: k.maxRedemptions, timesRedeemed: k.timesRedeemed, held: k.held, expiresAt: k.expiresAt, customerId: k.customerId };
}

/** The API.md code object; `status` is the effective one (the more restrictive of code and coupon). */
export function codeView(k: CodeRow, coupon: CouponRow, now: string) {
  return {
    code: k.code,
    couponId: k.couponId,
    status: codeStatus(codeStatusInput(k), couponStatusInput(coupon), now),
    timesRedeemed: k.timesRedeemed,
    maxRedemptions: k.maxRedemptions,
    expiresAt: k.expiresAt,
    customerId: k.customerId,
    metadata: k.metadata,
    attribution: k.attribution,
  };
}
export type CodeView = ReturnType<typeof codeView>;

/**
 * The code with a given text: the live one, else the most recent archived one; deleted codes are
 * not found. Hand-written because it is tuned: each branch of the UNION is served by its own
 * partial index (`codes_live_code_unique`, `codes_archived_code_idx`) and the second runs only
 * when the first finds nothing; a single `deleted_at is null … order by` query matches neither
 * index predicate and scans the whole table (test/integration/query-plans.test.ts guards it).
 */
export function codeLookupSql(accountId: Expression<string>, code: Expression<string>): RawBuilder<StoredRow<'codes'>> {
  return sql<StoredRow<'codes'>>`select * from (
    (select c.* from codes c where c.account_id = ${accountId} and c.code = ${code} and c.deleted_at is null and c.state <> 'archived')
    union all
    (select c.* from codes c where c.account_id = ${accountId} and c.code = ${code} and c.deleted_at is null and c.state = 'archived'
      order by c.id desc limit 1)
  ) as found limit 1`;
}

/**
 * The code with that text in the account (normalized, so case-insensitive): the live one first,
 * else the most recent archived one (so a redemption can answer coupon_archived); deleted codes
 * are not found, nor is text that is not a valid code. `lock` locks the row for the caller's
 * transaction (and re-reads it, so a code deleted meanwhile is not found).
 */
export async function findCodeRow(em: Em, accountId: string, code: string, opts: { lock?: 'update' | 'share' } = {}): Promise<CodeRow | null> {
  if (!isValidCode(code)) return null;
  const text = normalizeCode(code);
  const db = em.getKysely();
  const { rows } = await codeLookupSql(sql`${accountId}`, sql`${text}`).execute(db);
  const found = rows[0];
  if (!found || !opts.lock) return found ? codeRowFrom(found) : null;
  const again = db.selectFrom('codes').selectAll().where('id', '=', Number(found.id)).where('deleted_at', 'is', null);
  const locked = await (opts.lock === 'update' ? again.forUpdate() : again.forShare()).executeTakeFirst();
  return locked ? codeRowFrom(locked) : null;
}

/** findCodeRow plus its coupon, or null. */
export async function findCodeWithCoupon(
  em: Em,
  accountId: string,
  code: string,
  opts: { lock?: 'update' | 'share' } = {},
): Promise<{ code: CodeRow; coupon: CouponRow } | null> {
  const k = await findCodeRow(em, accountId, code, opts);
  if (!k) return null;
  const coupon = await getCouponRow(em, accountId, k.couponId, opts);
  return coupon ? { code: k, coupon } : null;
}

export interface NewCode {
  code: string;
  maxRedemptions?: number | null;
  expiresAt?: string | null;
  customerId?: string | null;
  metadata?: Record<string, unknown> | null;
  attribution?: Partial<Attribution> | null;
}

/**
 * Inserts one code (normalized) in the caller's transaction. A live duplicate in the account
 * fails on the unique index `codes_live_code_unique`.
 */
export async function insertCode(tx: Em, coupon: CouponRow, input: NewCode, now: string): Promise<CodeRow> {
  const inserted = await tx
    .getKysely()
    .insertInto('codes')
    .values({
      account_id: coupon.accountId,
      coupon_id: coupon.id,
      code: normalizeCode(input.code),
      state: 'active',
      max_redemptions: input.maxRedemptions ?? null,
      expires_at: tstz(input.expiresAt ?? null),
      customer_id: input.customerId ?? null,
      metadata: jsonb(input.metadata ?? null),
      created_at: tstz(now),
      updated_at: tstz(now),
      ...(({ channel, partner, referrerCustomerId }) => ({ channel, partner, referrer_customer_id: referrerCustomerId }))(attributionColumns(input.attribution)),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return codeRowFrom(inserted);
}

/** What a code edit writes. */
export interface CodeFields {
  maxRedemptions: number | null;
  expiresAt: string | null;
  customerId: string | null;
  metadata: Record<string, unknown> | null;
  attribution: Partial<Attribution> | null;
}

/**
 * Writes a code's editable fields. Loosening the expiry or the limit clears the expired/exhausted
 * marker, so the event can fire again later.
 */
export async function updateCode(tx: Em, id: number, next: CodeFields, now: string): Promise<CodeRow> {
  const row = await tx
    .getKysely()
    .updateTable('codes')
    .set({
      max_redemptions: next.maxRedemptions,
      expires_at: tstz(next.expiresAt),
      customer_id: next.customerId,
      metadata: jsonb(next.metadata),
      updated_at: tstz(now),
      ...(({ channel, partner, referrerCustomerId }) => ({ channel, partner, referrer_customer_id: referrerCustomerId }))(attributionColumns(next.attribution)),
      expired_event_at: sql<Date | null>`case when ${next.expiresAt}::timestamptz is null or ${next.expiresAt}::timestamptz > ${now}::timestamptz then null else expired_event_at end`,
      exhausted_event_at: sql<Date | null>`case when ${next.maxRedemptions}::int is null or ${next.maxRedemptions}::int > times_redeemed then null else exhausted_event_at end`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return codeRowFrom(row);
}

export async function setCodeState(tx: Em, id: number, state: CodeStoredStatus, now: string): Promise<CodeRow> {
  const row = await tx.getKysely().updateTable('codes').set({ state, updated_at: tstz(now) }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  return codeRowFrom(row);
}

/** A soft delete: the row stays for history, gone from listings and redemption. */
export async function softDeleteCode(tx: Em, id: number, now: string): Promise<void> {
  await tx.getKysely().updateTable('codes').set({ deleted_at: tstz(now), updated_at: tstz(now) }).where('id', '=', id).execute();
}

type SortKey = 'code' | '-code' | 'timesRedeemed' | '-timesRedeemed';
const SORTS: Record<SortKey, { col: 'k.code' | 'k.times_redeemed'; dir: 'asc' | 'desc' }> = {
  code: { col: 'k.code', dir: 'asc' },
  '-code': { col: 'k.code', dir: 'desc' },
  timesRedeemed: { col: 'k.times_redeemed', dir: 'asc' },
  '-timesRedeemed': { col: 'k.times_redeemed', dir: 'desc' },
};

/** A coupon's codes (deleted ones left out), in creation order or the given sort; cursor pagination. */
export async function listCodes(
  em: Em,
  coupon: CouponRow,
  q: { limit: number; cursor?: string; sort?: SortKey },
  now: string,
): Promise<{ data: CodeView[]; nextCursor: string | null }> {
  const kind = `codes:${q.sort ?? 'id'}`;
  const sort = q.sort ? SORTS[q.sort] : null;
  let query = em.getKysely().selectFrom('codes as k').selectAll('k').where('k.coupon_id', '=', coupon.id).where('k.deleted_at', 'is', null);
  if (q.cursor !== undefined) {
    const cur = decodeCursor(q.cursor, kind);
    const id = Number(cur[cur.length - 1]);
    if (!Number.isSafeInteger(id)) throw badRequest('cursor: is not a cursor this list gave', 'cursor');
    if (sort) {
      const key = cur[0];
      const ok = sort.col === 'k.code' ? typeof key === 'string' : Number.isSafeInteger(key);
      if (!ok) throw badRequest('cursor: is not a cursor this list gave', 'cursor');
      const keySql = sort.col === 'k.code' ? sql`${key}::text` : sql`${key}::int`;
      query = query.where(sql<boolean>`(${sql.ref(sort.col)}, k.id) ${sql.raw(sort.dir === 'asc' ? '>' : '<')} (${keySql}, ${id}::bigint)`);
    } else {
      query = query.where('k.id', '>', id);
    }
  }
  query = sort ? query.orderBy(sort.col, sort.dir).orderBy('k.id', sort.dir) : query.orderBy('k.id');
  const rows = await query.limit(q.limit + 1).execute();
  const more = rows.length > q.limit;
  const pageRows = (more ? rows.slice(0, q.limit) : rows).map(codeRowFrom);
  const last = pageRows[pageRows.length - 1];
  let nextCursor: string | null = null;
  if (more && last) {
    const key = sort ? [sort.col === 'k.code' ? last.code : last.timesRedeemed, last.id] : [last.id];
    nextCursor = encodeCursor(kind, key);
  }
  return { data: pageRows.map((k) => codeView(k, coupon, now)), nextCursor };
}
