import { sql } from 'kysely';
import type { Em } from '../db/orm';
import { eventsHorizon } from './events';

/** The relay from the events table (the outbox) to delivery rows, and the sweeper's reads. */

/** One relay at a time: a transaction-level advisory lock (two-key form, so it never meets the events id bounds). */
export const RELAY_LOCK = [7212040, 1] as const;

export interface NewDelivery {
  id: string;
  accountId: string;
  endpointId: string;
}

export interface RelayStep {
  /** False when another relay holds the lock. */
  ran: boolean;
  deliveries: NewDelivery[];
  /** True when the batch was full: more committed events may be waiting. */
  more: boolean;
}

/**
 * Whether an event after the relay's cursor exists (committed, as this statement sees it): one
 * statement outside any transaction, so an idle relay pass costs one round trip instead of a
 * transaction's five. Only a hint: an event that commits just after it answers false is taken by
 * the next pass, and relayStep checks everything again under its lock.
 */
export async function eventsAfterRelayCursor(em: Em): Promise<boolean> {
  const { rows } = await sql<{ any: boolean }>`
    select exists (select 1 from events where id > (select last_event_id from webhook_relay where id = 1)) as any`.execute(em.getKysely());
  return rows[0].any;
}

/**
 * One step of the relay, in one transaction: takes the relay lock (or gives up), reads the
 * cursor and the events horizon, creates one delivery per (event, endpoint enabled when the event
 * occurred, whatever its status now) for up to
 * `batchSize` committed events after the cursor (the unique index makes a repeat a no-op), and
 * moves the cursor. A crash before commit leaves the cursor where it was; the step is redone.
 */
export async function relayStep(em: Em, batchSize: number, attemptsAllowed: number): Promise<RelayStep> {
  return em.transactional(async (tx) => {
    const db = tx.getKysely();
    const { rows: lock } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${RELAY_LOCK[0]}, ${RELAY_LOCK[1]}) as ok`.execute(db);
    if (!lock[0].ok) return { ran: false, deliveries: [], more: false };
    const cursor = await db.selectFrom('webhook_relay').select('last_event_id').where('id', '=', 1).executeTakeFirstOrThrow();
    const from = String(cursor.last_event_id);
    // nothing new: skip the horizon (it reads pg_locks)
    const next = await db.selectFrom('events').select('id').where('id', '>', Number(from)).orderBy('id').limit(1).executeTakeFirst();
    if (!next) return { ran: true, deliveries: [], more: false };
    // a later statement than the horizon's: every event at or below it is visible or gone for good
    const horizon = await eventsHorizon(tx);
    if (BigInt(horizon) <= BigInt(from)) return { ran: true, deliveries: [], more: false };
    const { rows: span } = await sql<{ last: string | null; n: string }>`
      select max(id)::text as last, count(*)::text as n
        from (select id from events where id > ${from}::bigint and id <= ${horizon}::bigint order by id limit ${batchSize}) b`.execute(db);
    const full = Number(span[0].n) === batchSize;
    const upto = full ? (span[0].last as string) : horizon;
    const { rows } = await sql<{ id: string; account_id: string; endpoint_id: string }>`
      insert into webhook_deliveries (account_id, endpoint_id, event_id, message_id, event_type, attempts_allowed, next_attempt_at)
      select e.account_id, w.id, e.id, 'evt_' || e.id, e.type, ${attemptsAllowed}, now()
        from events e
        join webhook_endpoints w
          on w.account_id = e.account_id and w.enabled_event_ids @> e.id
         and (cardinality(w.event_types) = 0 or e.type = any(w.event_types))
       where e.id > ${from}::bigint and e.id <= ${upto}::bigint
       order by e.id, w.id
      on conflict (event_id, endpoint_id) do nothing
      returning id, account_id, endpoint_id`.execute(db);
    await db.updateTable('webhook_relay').set({ last_event_id: upto }).where('id', '=', 1).execute();
    return { ran: true, deliveries: rows.map((r) => ({ id: r.id, accountId: r.account_id, endpointId: r.endpoint_id })), more: full };
  });
}

export interface PendingDelivery {
  id: string;
  accountId: string;
  round: number;
  attempts: number;
  attemptsAllowed: number;
}

/** Pending deliveries whose next attempt was due before `before`, oldest due first, after a cursor. */
export async function duePendingDeliveries(em: Em, before: string, after: string | null, limit: number): Promise<PendingDelivery[]> {
  let q = em
    .getKysely()
    .selectFrom('webhook_deliveries')
    .select(['id', 'account_id', 'round', 'attempts', 'attempts_allowed', 'next_attempt_at'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<', new Date(before));
  if (after) q = q.where('id', '>', after);
  const rows = await q.orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, round: Number(r.round), attempts: Number(r.attempts), attemptsAllowed: Number(r.attempts_allowed) }));
}
