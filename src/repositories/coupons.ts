import { sql, type RawBuilder } from 'kysely';
import type { Em } from '../db/orm';
import {
  attributionColumns,
  compactAttribution,
  couponStatus,
  type AppliesTo,
  type Attribution,
  type Budget,
  type CouponStatusInput,
  type CouponStoredStatus,
  type CouponTerms,
  type DecisionCoupon,
  type Discount,
  type Duration,
  type EffectiveStatus,
  type Eligibility,
  type Overflow,
} from '../domain';
import { badRequest } from '../errors';
import { decodeCursor, decodeCursorOf, encodeCursor } from '../cursor';
import { storedJson, type Db, type StoredRow } from '../db/rows';
import { iso, isoOrNull, jsonb, tstz } from '../db/values';
import { couponStatusSql } from './status-sql';
import { isUuid } from '../ids';

/** A coupons row, typed and camelCased; instants are UTC ISO strings. */
export interface CouponRow {
  id: string;
  accountId: string;
  name: string;
  description: string | null;
  state: CouponStoredStatus;
  discount: Discount;
  duration: Duration;
  appliesTo: AppliesTo;
  eligibility: Eligibility;
  overflow: Overflow;
  stackable: boolean;
  maxRedemptions: number | null;
  perCustomer: number | null;
  /** limits.budget, or null when the coupon has none. */
  budget: Budget | null;
  validFrom: string | null;
  /** The resolved expiry instant (from expiresAt, expiresOn or expiresAfterDays). */
  expiresAt: string | null;
  expiresOn: string | null;
  expiresAfterDays: number | null;
  timeZone: string;
  timesRedeemed: number;
  /** Active holds of the coupon. */
  held: number;
  version: number;
  metadata: Record<string, unknown> | null;
  /** Its codes are invitations to invitation_only plans. */
  grantsAccess: boolean;
  /** The coupon's own attribution (fields not set omitted). */
  attribution: Attribution;
  createdAt: string;
  updatedAt: string;
  /** The oldest non-deleted code of the coupon (loaders fill it in), null when none. */
  firstCode: string | null;
}

/** A coupons row as selectCoupons reads it (its first code), or as the redemption context reads it (`to_jsonb`, no first code). */
export type CouponStoredRow = StoredRow<'coupons'> & { first_code?: string | null };

/** Every column of the coupon (alias `c`) and its first code, the oldest non-deleted one. */
function selectCoupons(db: Db) {
  return db
    .selectFrom('coupons as c')
    .selectAll('c')
    .select((eb) =>
      eb.selectFrom('codes as k').select('k.code').whereRef('k.coupon_id', '=', 'c.id').where('k.deleted_at', 'is', null).orderBy('k.id').limit(1).as('first_code'),
    );
}

const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** The one mapping of a coupons row; the jsonb terms are narrowed to the domain's types here, once. */
export function couponRowFrom(r: CouponStoredRow): CouponRow {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    description: r.description,
    state: r.state as CouponStoredStatus,
    discount: storedJson<Discount>(r.discount),
    duration: storedJson<Duration>(r.duration),
    appliesTo: storedJson<AppliesTo>(r.applies_to),
    eligibility: storedJson<Eligibility>(r.eligibility),
    overflow: r.overflow as Overflow,
    stackable: r.stackable,
    maxRedemptions: numOrNull(r.max_redemptions),
    perCustomer: numOrNull(r.per_customer),
    budget: r.budget === null || r.budget === undefined ? null : storedJson<Budget>(r.budget),
    validFrom: isoOrNull(r.valid_from),
    expiresAt: isoOrNull(r.expires_at),
    expiresOn: r.expires_on,
    expiresAfterDays: numOrNull(r.expires_after_days),
    timeZone: r.time_zone,
    timesRedeemed: Number(r.times_redeemed),
    held: Number(r.held ?? 0),
    version: Number(r.version),
    metadata: r.metadata,
    grantsAccess: r.grants_access,
    attribution: compactAttribution({ channel: r.channel, partner: r.partner, referrerCustomerId: r.referrer_customer_id }),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    firstCode: r.first_code ?? null,
  };
}

/** What domain status functions need from a coupon. */
export function couponStatusInput(c: CouponRow): CouponStatusInput {
  return { storedStatus: c.state, validFrom: c.validFrom, expiresAt: c.expiresAt, maxRedemptions: c.maxRedemptions, timesRedeemed: c.timesRedeemed };
}

/** The terms a redemption pins (SPEC §2 "snapshot of the coupon's terms"). */
export function couponTerms(c: CouponRow): CouponTerms {
  return { discount: c.discount, duration: c.duration, appliesTo: c.appliesTo, eligibility: c.eligibility, overflow: c.overflow, stackable: c.stackable, timeZone: c.timeZone };
}

/** The coupon as decideRedemption takes it. */
export function decisionCoupon(c: CouponRow): DecisionCoupon {
  return {
    status: c.state, validFrom: c.validFrom, expiresAt: c.expiresAt, maxRedemptions: c.maxRedemptions, perCustomer: c.perCustomer, timesRedeemed: c.timesRedeemed,
    held: c.held, terms: couponTerms(c), grantsAccess: c.grantsAccess, budget: c.budget,
  };
}

export function couponEffectiveStatus(c: CouponRow, now: string): EffectiveStatus {
  return couponStatus(couponStatusInput(c), now);
}

/** The API.md coupon object: the versioned fields plus identity, status and counters. */
export function couponView(c: CouponRow, now: string) {
  return {
    id: c.id,
    ...couponSnapshot(c),
    status: couponEffectiveStatus(c, now),
    code: c.firstCode,
    timesRedeemed: c.timesRedeemed,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    version: c.version,
  };
}
export type CouponView = ReturnType<typeof couponView>;

/** What a coupon_versions row keeps: every field that a version describes. */
export function couponSnapshot(c: CouponRow) {
  return {
    name: c.name,
    description: c.description,
    discount: c.discount,
    duration: c.duration,
    appliesTo: c.appliesTo,
    eligibility: c.eligibility,
    // budget only when set, so coupons without one answer as before
    limits: { maxRedemptions: c.maxRedemptions, perCustomer: c.perCustomer, ...(c.budget ? { budget: c.budget } : {}) },
    validFrom: c.validFrom,
    expiresAt: c.expiresAt,
    expiresOn: c.expiresOn,
    expiresAfterDays: c.expiresAfterDays,
    overflow: c.overflow,
    stackable: c.stackable,
    timeZone: c.timeZone,
    metadata: c.metadata,
    attribution: c.attribution,
    grantsAccess: c.grantsAccess,
  };
}

/**
 * Row locks, in this order everywhere (a transaction that needs several takes them in this
 * order, so two transactions never wait on each other in a cycle):
 *   subscription → customer → coupon → code.
 * - redemptions lock the subscription (upsert), the customer (upsert), then count on the coupon
 *   and the code in one statement, coupon first;
 * - archiving locks the coupon (for update here), then updates its codes;
 * - adding, importing or batch-writing codes takes a share lock on the coupon, then inserts codes;
 * - code edits lock the code only (the coupon is read, not locked).
 *
 * One coupon of the account, or null (also for an id that is not a UUID). `lock` takes a row
 * lock for the caller's transaction (`update` before changing the coupon or its counters).
 */
export async function getCouponRow(em: Em, accountId: string, id: string, opts: { lock?: 'update' | 'share' } = {}): Promise<CouponRow | null> {
  if (!isUuid(id)) return null;
  let q = selectCoupons(em.getKysely()).where('c.account_id', '=', accountId).where('c.id', '=', id);
  if (opts.lock === 'update') q = q.forUpdate('c');
  else if (opts.lock === 'share') q = q.forShare('c');
  const row = await q.executeTakeFirst();
  return row ? couponRowFrom(row) : null;
}

/**
 * The id of the account's coupon `id` as stored, or null: the coupon row alone, without the
 * first code that getCouponRow reads (a filter needs the id only).
 */
export async function findCouponId(em: Em, accountId: string, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  const row = await em.getKysely().selectFrom('coupons').select('id').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return row?.id ?? null;
}

type CouponSortKey = 'createdAt' | '-createdAt' | 'name' | '-name' | 'timesRedeemed' | '-timesRedeemed';

/**
 * The orders of the coupon list, each a key column and ties by id in the same direction. Creation
 * order and the name's lower case are read in order from coupons_account_idx and
 * coupons_account_name_idx; times redeemed has no index (no index may mention times_redeemed, so
 * counting a redemption stays a HOT update): the account's coupons are read from
 * coupons_account_idx and sorted.
 */
const COUPON_SORTS: Record<CouponSortKey, { key: RawBuilder<unknown>; dir: 'asc' | 'desc'; part: 'timestamp' | 'string' | 'integer'; cast: string }> = {
  createdAt: { key: sql`c.created_at`, dir: 'asc', part: 'timestamp', cast: 'timestamptz' },
  '-createdAt': { key: sql`c.created_at`, dir: 'desc', part: 'timestamp', cast: 'timestamptz' },
  name: { key: sql`lower(c.name)`, dir: 'asc', part: 'string', cast: 'text' },
  '-name': { key: sql`lower(c.name)`, dir: 'desc', part: 'string', cast: 'text' },
  timesRedeemed: { key: sql`c.times_redeemed`, dir: 'asc', part: 'integer', cast: 'int' },
  '-timesRedeemed': { key: sql`c.times_redeemed`, dir: 'desc', part: 'integer', cast: 'int' },
};

export interface CouponListParams {
  status?: EffectiveStatus;
  q?: string;
  sort?: CouponSortKey;
  limit: number;
  cursor?: string;
}

/** The list's statement (exported for its plan test): one more row than the page, with each row's sort key as text. */
export function couponListQuery(db: Db, accountId: string, q: CouponListParams, now: string) {
  const sortKey = q.sort ?? 'createdAt';
  const sort = COUPON_SORTS[sortKey];
  // the creation order keeps the cursor kind it always had, so earlier cursors stay valid
  const kind = sortKey === 'createdAt' ? 'coupons' : `coupons:${sortKey}`;
  const keyText = sort.part === 'timestamp' ? sql<string>`c.created_at::text` : sort.part === 'string' ? sql<string>`lower(c.name)` : sql<string>`c.times_redeemed::text`;
  let query = selectCoupons(db).select(keyText.as('cursor_key')).where('c.account_id', '=', accountId);
  if (q.cursor !== undefined) {
    const cur = decodeCursorOf(q.cursor, kind, [sort.part, 'uuid']);
    const op = sql.raw(sort.dir === 'asc' ? '>' : '<');
    query = query.where(sql<boolean>`(${sort.key}, c.id) ${op} (${cur[0]}::${sql.raw(sort.cast)}, ${cur[1]}::uuid)`);
  }
  if (q.q !== undefined) {
    const pattern = `%${q.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    query = query.where(sql<boolean>`c.name ilike ${pattern} escape '\\'`);
  }
  if (q.status) query = query.where(couponStatusSql('c', now), '=', q.status);
  return { kind, sort, query: query.orderBy(sort.key, sort.dir).orderBy('c.id', sort.dir).limit(q.limit + 1) };
}

/** Coupons in creation order or the given sort, cursor over (sort key, id), optionally filtered on the derived status and on a name fragment. */
export async function listCoupons(em: Em, accountId: string, q: CouponListParams, now: string): Promise<{ data: CouponView[]; nextCursor: string | null }> {
  const { kind, sort, query } = couponListQuery(em.getKysely(), accountId, q, now);
  const rows = await query.execute();
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const key = (v: string) => (sort.part === 'integer' ? Number(v) : v);
  return {
    data: pageRows.map((r) => couponView(couponRowFrom(r), now)),
    nextCursor: more && last ? encodeCursor(kind, [key(last.cursor_key), last.id]) : null,
  };
}

/** A coupon's versions, oldest first, cursor over the version number. */
export async function listVersions(em: Em, couponId: string, q: { limit: number; cursor?: string }) {
  let after = 0;
  if (q.cursor !== undefined) {
    const cur = decodeCursor(q.cursor, 'versions');
    if (typeof cur[0] !== 'number') throw badRequest('cursor: is not a cursor this list gave', 'cursor');
    after = cur[0];
  }
  const rows = await em
    .getKysely()
    .selectFrom('coupon_versions')
    .select(['version', 'created_at', 'snapshot'])
    .where('coupon_id', '=', couponId)
    .where('version', '>', after)
    .orderBy('version')
    .limit(q.limit + 1)
    .execute();
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  return {
    data: pageRows.map((r) => ({ version: Number(r.version), createdAt: iso(r.created_at), snapshot: r.snapshot })),
    nextCursor: more ? encodeCursor('versions', [Number(pageRows[pageRows.length - 1].version)]) : null,
  };
}

/** Writes the version row for the coupon's current version (same transaction as the change). */
export async function writeVersion(em: Em, c: CouponRow): Promise<void> {
  await em
    .getKysely()
    .insertInto('coupon_versions')
    .values({ coupon_id: c.id, version: c.version, snapshot: jsonb(couponSnapshot(c)), created_at: sql<Date>`${c.updatedAt}::timestamptz` })
    .execute();
}

/** A coupon to insert: every stored field but the identity, counters and version. */
export type NewCoupon = Omit<CouponRow, 'id' | 'timesRedeemed' | 'held' | 'version' | 'createdAt' | 'updatedAt' | 'firstCode'>;

/** The attribution columns of a row. */
function attributionRow(a: Partial<Attribution> | null | undefined) {
  const c = attributionColumns(a);
  return { channel: c.channel, partner: c.partner, referrer_customer_id: c.referrerCustomerId };
}

/** Inserts a coupon (version 1 and its version row) in the caller's transaction. */
export async function insertCoupon(tx: Em, c: NewCoupon, now: string): Promise<CouponRow> {
  const { id } = await tx
    .getKysely()
    .insertInto('coupons')
    .values({
      account_id: c.accountId, name: c.name, description: c.description, state: c.state, discount: jsonb(c.discount), duration: jsonb(c.duration),
      applies_to: jsonb(c.appliesTo), eligibility: jsonb(c.eligibility), overflow: c.overflow, stackable: c.stackable, max_redemptions: c.maxRedemptions,
      per_customer: c.perCustomer, budget: jsonb(c.budget), valid_from: tstz(c.validFrom), expires_at: tstz(c.expiresAt), expires_on: c.expiresOn,
      expires_after_days: c.expiresAfterDays, time_zone: c.timeZone, metadata: jsonb(c.metadata), version: 1, created_at: tstz(now), updated_at: tstz(now),
      grants_access: c.grantsAccess, ...attributionRow(c.attribution),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const row = (await getCouponRow(tx, c.accountId, id))!;
  await writeVersion(tx, row);
  return row;
}

/**
 * Writes a coupon's editable fields and version. Loosening the window or the limit clears the
 * expired/exhausted marker, so the event can fire again later.
 */
export async function updateCoupon(tx: Em, next: CouponRow, now: string): Promise<void> {
  await tx
    .getKysely()
    .updateTable('coupons')
    .set({
      name: next.name, description: next.description, discount: jsonb(next.discount), duration: jsonb(next.duration), applies_to: jsonb(next.appliesTo),
      eligibility: jsonb(next.eligibility), overflow: next.overflow, stackable: next.stackable, max_redemptions: next.maxRedemptions,
      per_customer: next.perCustomer, budget: jsonb(next.budget), valid_from: tstz(next.validFrom), expires_at: tstz(next.expiresAt), expires_on: next.expiresOn,
      expires_after_days: next.expiresAfterDays, metadata: jsonb(next.metadata), version: next.version, updated_at: tstz(now),
      grants_access: next.grantsAccess, ...attributionRow(next.attribution),
      expired_event_at: sql<Date | null>`case when ${next.expiresAt}::timestamptz is null or ${next.expiresAt}::timestamptz > ${now}::timestamptz then null else expired_event_at end`,
      exhausted_event_at: sql<Date | null>`case when ${next.maxRedemptions}::int is null or ${next.maxRedemptions}::int > times_redeemed then null else exhausted_event_at end`,
    })
    .where('id', '=', next.id)
    .execute();
}

/** The most non-voided redemptions and active holds one customer has of the coupon (0 when none). */
export async function largestCustomerCount(tx: Em, couponId: string): Promise<number> {
  const db = tx.getKysely();
  const taken = db
    .selectFrom('redemptions')
    .select('customer_id')
    .where('coupon_id', '=', couponId)
    .where('status', '<>', 'voided')
    .unionAll(db.selectFrom('holds').select('customer_id').where('coupon_id', '=', couponId).where('status', '=', 'active'));
  const perCustomer = db.selectFrom(taken.as('u')).select((eb) => eb.fn.countAll<string>().as('n')).groupBy('u.customer_id');
  const used = await db
    .selectFrom(perCustomer.as('t'))
    .select(sql<number>`coalesce(max(t.n), 0)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(used.n);
}

/** Sets the coupon's stored state; archiving also archives its live codes (locked after the coupon: the lock order above). */
export async function setCouponState(tx: Em, couponId: string, state: CouponStoredStatus, now: string): Promise<void> {
  const db = tx.getKysely();
  await db.updateTable('coupons').set({ state, updated_at: tstz(now) }).where('id', '=', couponId).execute();
  if (state === 'archived') {
    await db
      .updateTable('codes')
      .set({ state: 'archived', updated_at: tstz(now) })
      .where('coupon_id', '=', couponId)
      .where('deleted_at', 'is', null)
      .where('state', '<>', 'archived')
      .execute();
  }
}

export async function couponHasRedemptions(tx: Em, couponId: string): Promise<boolean> {
  const used = await tx.getKysely().selectFrom('redemptions').select('id').where('coupon_id', '=', couponId).limit(1).executeTakeFirst();
  return used !== undefined;
}

/** Deletes the coupon row (its codes and versions go with it by cascade). */
export async function deleteCouponRow(tx: Em, couponId: string): Promise<void> {
  await tx.getKysely().deleteFrom('coupons').where('id', '=', couponId).execute();
}
