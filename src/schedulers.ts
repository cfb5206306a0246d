import type { AppContext } from './context';

/** Repeating jobs upserted at start (BullMQ job schedulers). Returns a stopper. */
export async function startSchedulers(_ctx: AppContext): Promise<() => Promise<void>> {
  return async () => {};
}
