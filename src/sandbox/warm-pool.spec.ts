import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { WarmPool } from './warm-pool.js';

const logger = createLogger({ level: 'silent' });

function counterPool(size: number, failAt: ReadonlySet<number> = new Set()) {
  let made = 0;
  const disposed: number[] = [];
  const pool = new WarmPool<number>({
    size,
    logger,
    create: async () => {
      const n = ++made;
      await new Promise((r) => setTimeout(r, 5));
      if (failAt.has(n)) {
        throw new Error(`item ${n} failed`);
      }
      return n;
    },
    dispose: (n) => {
      disposed.push(n);
      return Promise.resolve();
    },
  });
  return { pool, disposed, made: () => made };
}

describe('WarmPool', () => {
  it('fills to size, hands each item out once, and refills', async () => {
    const { pool, made } = counterPool(2);
    expect(pool.take('k')).toBeUndefined(); // empty: the caller makes its own; refill starts
    await pool.fill('k');
    expect(pool.readyCount('k')).toBe(2);
    const first = await pool.take('k');
    const second = await pool.take('k');
    expect(new Set([first, second]).size).toBe(2);
    await pool.fill('k');
    expect(pool.readyCount('k')).toBe(2);
    expect(made()).toBe(4);
    expect(pool.readyCount('other')).toBe(0);
  });

  it('drops a failed creation without retrying in a loop', async () => {
    const { pool, made } = counterPool(3, new Set([2]));
    await pool.fill('k');
    expect(pool.readyCount('k')).toBe(1);
    expect(made()).toBe(2);
    await pool.fill('k');
    expect(pool.readyCount('k')).toBe(3);
  });

  it('disposes what was never taken on close, and makes nothing after', async () => {
    const { pool, disposed, made } = counterPool(2);
    await pool.fill('a');
    const taken = await pool.take('a');
    await pool.close();
    expect(disposed.sort()).toEqual([1, 2, 3].filter((n) => n !== taken));
    await pool.fill('a');
    expect(made()).toBe(3);
  });
});
