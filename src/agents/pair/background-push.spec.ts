import { describe, expect, it } from 'vitest';
import { BackgroundPush } from './background-push.js';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BackgroundPush', () => {
  it('chains pushes: each starts after the one before has finished', async () => {
    const log: string[] = [];
    let n = 0;
    const pushes = new BackgroundPush({
      async push() {
        const mine = ++n;
        log.push(`start ${mine}`);
        await later(mine === 1 ? 30 : 1);
        log.push(`end ${mine}`);
      },
    });
    pushes.start();
    pushes.start();
    await pushes.settle();
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('rethrows a failed push on settle, once, and never as an unhandled rejection', async () => {
    const pushes = new BackgroundPush({ push: () => Promise.reject(new Error('rejected')) });
    pushes.start();
    await later(5);
    await expect(pushes.settle()).rejects.toThrow('rejected');
    await expect(pushes.settle()).resolves.toBeUndefined();
  });

  it('drain waits for the push in flight and swallows its failure', async () => {
    let finished = false;
    const pushes = new BackgroundPush({
      async push() {
        await later(20);
        finished = true;
        throw new Error('late failure');
      },
    });
    pushes.start();
    await pushes.drain();
    expect(finished).toBe(true);
  });
});
