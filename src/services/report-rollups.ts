import type { Em } from '../db/orm';
import { accountsToRebuild, foldMarks, rebuildAccount, type FoldLockMode } from '../repositories/growth-reports';

/** What one fold run did. */
export interface ReportFoldResult {
  /** accounts whose rollups were rebuilt (a time zone change, or the first fold after the migration) */
  rebuilt: number;
  /** marks taken, and the distinct subscriptions they named */
  marks: number;
  subscriptions: number;
  /** the run stopped because another fold held the fold lock (lock mode `try` only) */
  busy: boolean;
}

/** How much one run takes on: accounts rebuilt, marks per fold statement, fold statements. */
export const FOLD_LIMITS = { accounts: 4, marks: 5000, statements: 4 } as const;

/**
 * One run of the growth report rollups' fold (src/repositories/growth-reports/rollups.ts): the
 * accounts marked for a rebuild first, then the subscription marks, oldest first, a statement
 * of up to `limits.marks` at a time while whole batches come back. Each step commits on its own;
 * what a run leaves, the next takes (reports are exact meanwhile). With `lock: 'try'` (the
 * scheduled fold) a step that finds another fold holding the lock ends the run (`busy`).
 */
export async function foldReportRollups(
  em: Em,
  limits: { accounts: number; marks: number; statements: number } = FOLD_LIMITS,
  lock: FoldLockMode = 'wait',
): Promise<ReportFoldResult> {
  const result: ReportFoldResult = { rebuilt: 0, marks: 0, subscriptions: 0, busy: false };
  for (const accountId of await accountsToRebuild(em, limits.accounts)) {
    if ((await rebuildAccount(em, accountId, lock)) === 'busy') return { ...result, busy: true };
    result.rebuilt += 1;
  }
  for (let i = 0; i < limits.statements; i += 1) {
    const step = await foldMarks(em, limits.marks, lock);
    if (step === 'busy') return { ...result, busy: true };
    result.marks += step.marks;
    result.subscriptions += step.subscriptions;
    if (step.marks < limits.marks) break;
  }
  return result;
}
