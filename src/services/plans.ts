import type { AppContext } from '../context';
import { upsertPlan, type PlanInput, type PlanView } from '../repositories/plans';

/** Plans: PUT replaces a plan (registers it when new). */
export function putPlan(ctx: AppContext, accountId: string, id: string, input: PlanInput): Promise<PlanView> {
  return upsertPlan(ctx.orm.em.fork(), accountId, id, input);
}
