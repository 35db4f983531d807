/**
 * Weighted fair share of model slots across tenants (repositories): the Resource Director's slot gate.
 *
 * Algorithm: Start-time Fair Queueing (P. Goyal, H. M. Vin, H. Cheng, "Start-time Fair Queueing: a
 * scheduling algorithm for integrated services packet switching networks", SIGCOMM 1996). Each tenant
 * carries a finish tag; a waiting tenant's start tag is `max(V, finish)` where `V` is the start tag of
 * the last grant; the free slot goes to the smallest start tag (ties: higher priority, then arrival).
 * The "packet length" is the time a call holds its slot, in ms: it is unknown at grant time, so the
 * grant charges the alias's mean hold so far and the release corrects the charge to what the call held
 * (`finish += (held − estimate) / weight`). While several tenants wait, each gets slot time in
 * proportion to its weight (`weightOf(priority)`), whatever its calls' latencies; a tenant that was
 * idle starts at `V` and cannot bank credit. Within one tenant, waiters go by priority, then FIFO.
 *
 * State is per process (one gate per worker, like the aliases' `maxConcurrent`).
 */
import { ModelCallAbortedError } from '../errors/index.js';
import { weightOf, type ConcurrencyGate, type SlotRequest } from './concurrency-gate.js';

interface Waiter {
  priority: number;
  seq: number;
  grant: (release: () => void) => void;
}

interface Tenant {
  finish: number;
  queue: Waiter[];
  /** Slot time granted so far, in ms (for tests, the bench and metrics). */
  heldMs: number;
  grants: number;
}

interface AliasState {
  limit: number;
  active: number;
  /** Virtual time: the start tag of the last grant. */
  vtime: number;
  tenants: Map<string, Tenant>;
  /** Mean hold of released calls, ms (the estimate charged at grant). */
  meanHoldMs: number;
  released: number;
  /** Slot time held by released calls, in ms. */
  busyMs: number;
}

/** Slot figures of one alias. */
export interface SlotStats {
  active: number;
  waiting: number;
  /** Per tenant: calls waiting, slot time held by finished calls (ms), grants. */
  tenants: Record<string, { waiting: number; heldMs: number; grants: number }>;
}

/** Options of {@link FairShareSlots}. */
export interface FairShareSlotsOptions {
  /** Slots per alias (aliases not listed get `defaultLimit`). */
  limits: Readonly<Record<string, number>>;
  /** Default 1. */
  defaultLimit?: number;
  /** Monotonic clock in ms (default `performance.now`); tests pass a fake. */
  now?: () => number;
}

/** In-process weighted fair share of each alias's slots (see the module comment). */
export class FairShareSlots implements ConcurrencyGate {
  private readonly aliases = new Map<string, AliasState>();
  private readonly now: () => number;
  private seq = 0;

  constructor(private readonly options: FairShareSlotsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** What `alias`'s slots are doing: running and waiting calls, and slot time per tenant. */
  stats(alias: string): SlotStats {
    const s = this.aliases.get(alias);
    const tenants: SlotStats['tenants'] = {};
    let waiting = 0;
    for (const [name, t] of s?.tenants ?? []) {
      tenants[name] = { waiting: t.queue.length, heldMs: t.heldMs, grants: t.grants };
      waiting += t.queue.length;
    }
    return { active: s?.active ?? 0, waiting, tenants };
  }

  /**
   * Resolves with a release function once it is this request's turn for a slot of `alias`.
   * @throws RangeError (rejected) for a priority outside 1..10
   * @throws ModelCallAbortedError (rejected) when `signal` aborts first
   */
  // No await before the queue insertion: callers' order is kept (an async body runs synchronously until then).
  async acquire(alias: string, options: SlotRequest): Promise<() => void> {
    const { signal, priority } = options;
    weightOf(priority); // validates before the request joins a queue
    if (signal?.aborted) {
      throw new ModelCallAbortedError(alias, { cause: signal.reason });
    }
    const s = this.stateOf(alias);
    const tenant = this.tenantOf(s, options.tenant ?? '');
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        seq: this.seq++,
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const i = tenant.queue.indexOf(waiter);
        if (i >= 0) {
          tenant.queue.splice(i, 1);
          reject(new ModelCallAbortedError(alias, { cause: signal?.reason }));
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Keep (priority, seq) order inside the tenant; queues are short, a linear scan is fine.
      const at = tenant.queue.findIndex((w) => w.priority > priority);
      tenant.queue.splice(at < 0 ? tenant.queue.length : at, 0, waiter);
      this.dispatch(s);
    });
  }

  private stateOf(alias: string): AliasState {
    let s = this.aliases.get(alias);
    if (s === undefined) {
      s = {
        limit: this.options.limits[alias] ?? this.options.defaultLimit ?? 1,
        active: 0,
        vtime: 0,
        tenants: new Map(),
        meanHoldMs: 1,
        released: 0,
        busyMs: 0,
      };
      this.aliases.set(alias, s);
    }
    return s;
  }

  private tenantOf(s: AliasState, name: string): Tenant {
    let t = s.tenants.get(name);
    if (t === undefined) {
      t = { finish: s.vtime, queue: [], heldMs: 0, grants: 0 };
      s.tenants.set(name, t);
    }
    return t;
  }

  /** Grants free slots to the waiters with the smallest start tags. */
  private dispatch(s: AliasState): void {
    while (s.active < s.limit) {
      let best: { tenant: Tenant; start: number; head: Waiter } | undefined;
      for (const tenant of s.tenants.values()) {
        const head = tenant.queue[0];
        if (head === undefined) {
          continue;
        }
        const start = Math.max(s.vtime, tenant.finish);
        if (
          best === undefined ||
          start < best.start ||
          (start === best.start &&
            (head.priority < best.head.priority ||
              (head.priority === best.head.priority && head.seq < best.head.seq)))
        ) {
          best = { tenant, start, head };
        }
      }
      if (best === undefined) {
        return;
      }
      const { tenant, start, head } = best;
      tenant.queue.shift();
      const weight = weightOf(head.priority);
      const estimate = s.meanHoldMs;
      s.vtime = start;
      tenant.finish = start + estimate / weight;
      tenant.grants += 1;
      s.active += 1;
      head.grant(this.releaser(s, tenant, weight, estimate));
    }
  }

  private releaser(s: AliasState, tenant: Tenant, weight: number, estimate: number): () => void {
    const granted = this.now();
    let done = false;
    return () => {
      if (done) {
        return;
      }
      done = true;
      const held = Math.max(0, this.now() - granted);
      tenant.finish += (held - estimate) / weight;
      tenant.heldMs += held;
      s.busyMs += held;
      s.released += 1;
      s.meanHoldMs += (held - s.meanHoldMs) / s.released;
      s.active -= 1;
      this.dispatch(s);
    };
  }
}
