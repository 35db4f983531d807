/**
 * Per-alias concurrency slots with priority-ordered waiting. `ConcurrencyGate` is the hook for the
 * Resource Director: anything that can hand out a slot for an alias (e.g. a cluster-wide limiter) can
 * replace {@link PrioritySlots}.
 */
import { ModelCallAbortedError } from '../errors/index.js';

/** Gives out slots to call an alias; `release` must be called exactly once (extra calls are ignored). */
export interface ConcurrencyGate {
  /**
   * Resolves with a release function once a slot of `alias` is free. Lower `priority` is served first
   * (BullMQ convention: 1 is highest), FIFO among equals. Rejects with `ModelCallAbortedError` when
   * `signal` aborts while waiting (the waiter is removed from the queue).
   */
  acquire(alias: string, options: { priority: number; signal?: AbortSignal }): Promise<() => void>;
}

interface Waiter {
  priority: number;
  seq: number;
  grant: (release: () => void) => void;
}

interface AliasSlots {
  limit: number;
  active: number;
  waiting: Waiter[];
}

/** In-process slots: `limits[alias]` calls at once (aliases not listed get `defaultLimit`). */
export class PrioritySlots implements ConcurrencyGate {
  private readonly slots = new Map<string, AliasSlots>();
  private seq = 0;

  constructor(
    private readonly limits: Readonly<Record<string, number>>,
    private readonly defaultLimit = 1,
  ) {}

  /** Calls running and waiting for `alias`, for metrics and tests. */
  stats(alias: string): { active: number; waiting: number } {
    const s = this.slots.get(alias);
    return { active: s?.active ?? 0, waiting: s?.waiting.length ?? 0 };
  }

  acquire(alias: string, options: { priority: number; signal?: AbortSignal }): Promise<() => void> {
    const s = this.slotsOf(alias);
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(new ModelCallAbortedError(alias, { cause: signal.reason }));
    }
    if (s.active < s.limit && s.waiting.length === 0) {
      s.active += 1;
      return Promise.resolve(this.releaser(s));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        priority: options.priority,
        seq: this.seq++,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const i = s.waiting.indexOf(waiter);
        if (i >= 0) {
          s.waiting.splice(i, 1);
        }
        reject(new ModelCallAbortedError(alias, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Insert keeping (priority, seq) order; queues are short, a linear scan is fine.
      const at = s.waiting.findIndex((w) => w.priority > waiter.priority);
      s.waiting.splice(at < 0 ? s.waiting.length : at, 0, waiter);
    });
  }

  private slotsOf(alias: string): AliasSlots {
    let s = this.slots.get(alias);
    if (s === undefined) {
      s = { limit: this.limits[alias] ?? this.defaultLimit, active: 0, waiting: [] };
      this.slots.set(alias, s);
    }
    return s;
  }

  private releaser(s: AliasSlots): () => void {
    let done = false;
    return () => {
      if (done) {
        return;
      }
      done = true;
      const next = s.waiting.shift();
      if (next === undefined) {
        s.active -= 1;
      } else {
        next.grant(this.releaser(s));
      }
    };
  }
}
