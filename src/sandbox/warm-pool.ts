import type { Logger } from '../log/logger.js';

/** Options of {@link WarmPool}. */
export interface WarmPoolOptions<T> {
  /** Items kept ready (or being made) per key. 0 disables the pool. */
  size: number;
  /** Makes one fresh item for a key. */
  create: (key: string) => Promise<T>;
  /** Disposes an item that was never taken (on `close`). */
  dispose: (item: T) => Promise<void>;
  logger: Logger;
}

interface Entry<T> {
  promise: Promise<T>;
  ready: boolean;
}

/**
 * Keeps `size` fresh items per key made ahead of demand, one creation at a time per key (the machine's
 * cores are shared with the jobs). An item is handed out once and never returned: `take` removes it and
 * starts making its replacement. A failed creation is logged and dropped; the pool tries again on the
 * next `take` or `fill` rather than in a tight loop.
 */
export class WarmPool<T> {
  private readonly entries = new Map<string, Array<Entry<T>>>();
  private readonly filling = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly options: WarmPoolOptions<T>) {}

  /** Number of items ready or being made for `key`. */
  count(key: string): number {
    return this.entries.get(key)?.length ?? 0;
  }

  /** Number of items ready for `key`. */
  readyCount(key: string): number {
    return this.entries.get(key)?.filter((e) => e.ready).length ?? 0;
  }

  /**
   * Takes a ready item for `key` (else the oldest one still being made), or `undefined` when the pool
   * for that key is empty. Starts refilling the key in the background either way.
   */
  take(key: string): Promise<T> | undefined {
    const list = this.entries.get(key) ?? [];
    const index = Math.max(
      list.findIndex((e) => e.ready),
      0,
    );
    const entry = list.length > 0 ? list.splice(index, 1)[0] : undefined;
    void this.fill(key);
    return entry?.promise;
  }

  /** Makes items for `key` until `size` are ready or in flight; resolves when done. */
  fill(key: string): Promise<void> {
    const running = this.filling.get(key);
    if (running) {
      return running;
    }
    const run = this.refill(key).finally(() => this.filling.delete(key));
    this.filling.set(key, run);
    return run;
  }

  /** Stops refilling and disposes every item not taken; resolves when all are gone. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.filling.values()]);
    const all = [...this.entries.values()].flat();
    this.entries.clear();
    await Promise.allSettled(all.map(async (entry) => this.options.dispose(await entry.promise)));
  }

  private async refill(key: string): Promise<void> {
    let list = this.entries.get(key);
    if (!list) {
      list = [];
      this.entries.set(key, list);
    }
    while (!this.closed && list.length < this.options.size) {
      const entry: Entry<T> = { promise: this.options.create(key), ready: false };
      list.push(entry);
      try {
        await entry.promise;
        entry.ready = true;
      } catch (error) {
        const at = list.indexOf(entry);
        if (at >= 0) {
          list.splice(at, 1);
        }
        this.options.logger.warn({ err: error, key }, 'warm pool: could not make an item');
        return;
      }
    }
  }
}
