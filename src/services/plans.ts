import type { AppContext } from '../context';
import { decodeCursorOf, encodeCursor } from '../cursor';
import { insertPlanIfAbsent, listPlans as listPlanRows, lockPlan, replacePlan, type PlanInput, type PlanView } from '../repositories/plans';
import { changesOf, recordChange, type Caller } from './audit-log';

/** A plan as its audit records show it (the target id is the plan's id). */
function planAudit(p: PlanView): Record<string, unknown> {
  const { id: _id, ...fields } = p;
  return fields;
}

/**
 * PUT /v1/plans/{id}: replaces the plan, or registers it when new (`plan.created`, else
 * `plan.updated` with the fields that changed). A PUT that changes nothing writes no record.
 */
export async function putPlan(ctx: AppContext, accountId: string, id: string, input: PlanInput, caller: Caller): Promise<PlanView> {
  const now = ctx.clock.now();
  return ctx.orm.em.fork().transactional(async (tx) => {
    let before = await lockPlan(tx, accountId, id);
    if (!before) {
      const created = await insertPlanIfAbsent(tx, accountId, id, input);
      if (created) {
        await recordChange(tx, accountId, caller, now, { action: 'plan.created', target: { type: 'plan', id }, before: null, after: planAudit(created) });
        return created;
      }
      // registered meanwhile by a request that committed first: this one replaces it
      before = (await lockPlan(tx, accountId, id))!;
    }
    const after = await replacePlan(tx, accountId, id, input);
    const change = { action: 'plan.updated' as const, target: { type: 'plan' as const, id }, before: planAudit(before), after: planAudit(after) };
    if (Object.keys(changesOf(change)).length > 0) await recordChange(tx, accountId, caller, now, change);
    return after;
  });
}

/** GET /v1/plans: the account's plans in id order. */
export async function listPlans(ctx: AppContext, accountId: string, query: { limit: number; cursor?: string }): Promise<{ data: PlanView[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? null : (decodeCursorOf(query.cursor, 'plans', ['string'])[0] as string);
  const { rows, next } = await listPlanRows(ctx.orm.em.fork(), accountId, after, query.limit);
  return { data: rows, nextCursor: next === null ? null : encodeCursor('plans', [next]) };
}
