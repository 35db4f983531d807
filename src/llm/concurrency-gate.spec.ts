import { describe, expect, it } from 'vitest';
import { ModelCallAbortedError } from '../errors/index.js';
import { PrioritySlots } from './concurrency-gate.js';

describe('PrioritySlots', () => {
  it('limits calls per alias and serves waiters by priority, FIFO among equals', async () => {
    const slots = new PrioritySlots({ a: 2 });
    const r1 = await slots.acquire('a', { priority: 5 });
    const r2 = await slots.acquire('a', { priority: 5 });
    const order: string[] = [];
    const wait = (name: string, priority: number) =>
      slots.acquire('a', { priority }).then((release) => {
        order.push(name);
        return release;
      });
    const waiting = [wait('low', 9), wait('high-1', 1), wait('mid', 5), wait('high-2', 1)];
    expect(slots.stats('a')).toEqual({ active: 2, waiting: 4 });
    // Another alias is not blocked.
    (await slots.acquire('b', { priority: 9 }))();
    r1();
    r2();
    const [low, high1, mid, high2] = waiting;
    (await high1!)();
    (await high2!)();
    (await mid!)();
    (await low!)();
    expect(order).toEqual(['high-1', 'high-2', 'mid', 'low']);
    expect(slots.stats('a')).toEqual({ active: 0, waiting: 0 });
  });

  it('removes an aborted waiter from the queue', async () => {
    const slots = new PrioritySlots({}, 1);
    const release = await slots.acquire('a', { priority: 1 });
    const controller = new AbortController();
    const aborted = slots.acquire('a', { priority: 1, signal: controller.signal });
    const next = slots.acquire('a', { priority: 5 });
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(ModelCallAbortedError);
    expect(slots.stats('a')).toEqual({ active: 1, waiting: 1 });
    release();
    release(); // a second release is ignored
    (await next)();
    expect(slots.stats('a')).toEqual({ active: 0, waiting: 0 });
  });
});
