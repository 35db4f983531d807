/**
 * Shares PGlite's single Postgres session between in-process callers (drizzle) and wire-protocol clients
 * (BullMQ over pglite-socket) without one side's statements landing inside the other side's transaction.
 *
 * Why: PGlite is one backend, one session. pglite-socket serialises wire messages with PGlite's query
 * mutex and keeps a socket transaction exclusive among socket clients, but it knows nothing of
 * `PGlite.transaction()` called in-process, and in-process queries only take PGlite's transaction mutex,
 * which socket messages do not. Without this lock an in-process `COMMIT` could commit half of BullMQ's
 * transaction, or a BullMQ `ROLLBACK` could undo Tandem's writes.
 *
 * How: one FIFO lock over the session. In-process `query`/`sql`/`exec`/`transaction` hold it for the call
 * (a whole transaction for `transaction`). The socket side takes it for each wire message and keeps it
 * while the session is inside a transaction it opened, releasing it after the message that ends it.
 *
 * Consequence (same as a single-connection pool): awaiting queue work over the socket *inside* an
 * in-process `db.transaction()` waits for that transaction and so never finishes. Enqueue after commit
 * (that is what the outbox is for). A wait longer than `warnAfterMs` is logged.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../log/logger.js';

/** Options for {@link PgliteSessionLock}. */
export interface PgliteSessionLockOptions {
  /** Warn when a socket message waits this long for an in-process call (ms); default 5000. */
  warnAfterMs?: number;
  logger?: Logger;
}

type Release = () => void;

/** A FIFO async mutex: `acquire()` resolves with the function that releases it. */
class FifoLock {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<Release> {
    let release!: Release;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

const IN_PROCESS_GUARDED = new Set<PropertyKey>(['query', 'sql', 'exec', 'transaction']);

/**
 * Owns the lock and hands out views of one PGlite instance: {@link inProcess} for drizzle and one
 * {@link createSocketView} per `PGLiteSocketServer`. Views are the PGlite type, so they drop in anywhere.
 */
export class PgliteSessionLock {
  /** The view drizzle (and any in-process code) must use. */
  readonly inProcess: PGlite;

  readonly #lock = new FifoLock();
  readonly #warnAfterMs: number;
  readonly #logger: Logger | undefined;

  constructor(
    readonly pglite: PGlite,
    options: PgliteSessionLockOptions = {},
  ) {
    this.#warnAfterMs = options.warnAfterMs ?? 5000;
    this.#logger = options.logger;
    this.inProcess = this.#inProcessView();
  }

  #inProcessView(): PGlite {
    const target = this.pglite;
    return new Proxy(target, {
      get: (t, prop) => {
        const value: unknown = Reflect.get(t, prop, t);
        if (typeof value !== 'function') {
          return value;
        }
        const fn = value as (...args: unknown[]) => unknown;
        if (!IN_PROCESS_GUARDED.has(prop)) {
          return fn.bind(t);
        }
        return async (...args: unknown[]) => {
          const release = await this.#lock.acquire();
          try {
            return await fn.apply(t, args);
          } finally {
            release();
          }
        };
      },
    });
  }

  /**
   * A view to give `new PGLiteSocketServer({ db })`. Each server needs its own: pglite-socket keeps a
   * server's transactions exclusive among that server's clients only, and the view tracks whether *its*
   * server holds the session.
   */
  createSocketView(): PGlite {
    const target = this.pglite;
    let held: Release | undefined;
    const acquire = async (): Promise<void> => {
      if (held !== undefined) {
        return;
      }
      const timer = setTimeout(() => {
        this.#logger?.warn(
          { waitedMs: this.#warnAfterMs },
          'pglite: wire client waits for an in-process transaction (enqueue after commit, not inside)',
        );
      }, this.#warnAfterMs);
      try {
        held = await this.#lock.acquire();
      } finally {
        clearTimeout(timer);
      }
    };
    const releaseUnlessInTransaction = (): void => {
      if (held !== undefined && (target.closed || !target.isInTransaction())) {
        const release = held;
        held = undefined;
        release();
      }
    };
    return new Proxy(target, {
      get: (t, prop) => {
        if (prop === 'runExclusive') {
          return async <T>(fn: () => Promise<T>): Promise<T> => {
            await acquire();
            try {
              return await t.runExclusive(fn);
            } finally {
              releaseUnlessInTransaction();
            }
          };
        }
        if (prop === 'isInTransaction') {
          // Only a transaction this view's clients opened counts; any other one is behind the lock.
          return () => held !== undefined && !t.closed && t.isInTransaction();
        }
        if (prop === 'exec') {
          // pglite-socket calls exec('ROLLBACK') when a client disconnects mid-transaction.
          return async (query: string, options?: Parameters<PGlite['exec']>[1]) => {
            await acquire();
            try {
              return !t.closed && t.isInTransaction() ? await t.exec(query, options) : [];
            } finally {
              releaseUnlessInTransaction();
            }
          };
        }
        const value: unknown = Reflect.get(t, prop, t);
        return typeof value === 'function'
          ? (value as (...args: unknown[]) => unknown).bind(t)
          : value;
      },
    });
  }
}
