/**
 * The contract of model slot hand-out. The Resource Director's weighted fair share
 * ({@link FairShareSlots} in `fair-share-slots.ts`) implements it in-process; anything that can hand out a
 * slot for an alias (e.g. a cluster-wide limiter) can replace it.
 */

/** Who asks for a slot: priority, the tenant whose share it counts against, and an abort signal. */
export interface SlotRequest {
  /** 1 (highest) to 10 (BullMQ convention); also the tenant's weight (see `weightOf`). */
  priority: number;
  /**
   * The tenant the call counts against (Tandem passes the repository id); calls without one share the
   * tenant `''`.
   */
  tenant?: string;
  signal?: AbortSignal;
}

/** Gives out slots to call an alias; `release` must be called exactly once (extra calls are ignored). */
export interface ConcurrencyGate {
  /**
   * Resolves with a release function once a slot of `alias` is free and it is this request's turn.
   * Rejects with `ModelCallAbortedError` when `signal` aborts while waiting (the waiter is removed).
   */
  acquire(alias: string, options: SlotRequest): Promise<() => void>;
}

/**
 * The fair-share weight of a priority: 11 − priority, so priority 1 weighs 10 and priority 10 weighs 1
 * (a priority-1 repository gets ten times the slot time of a priority-10 one while both wait).
 * @throws RangeError for a priority outside 1..10 or not an integer
 */
export function weightOf(priority: number): number {
  if (!Number.isInteger(priority) || priority < 1 || priority > 10) {
    throw new RangeError(`priority must be an integer from 1 to 10, got ${priority}`);
  }
  return 11 - priority;
}
