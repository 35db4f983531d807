/**
 * A worker's shutdown stops the pair runs in flight at once (their engine sees the abort, their sandbox
 * is removed by the engine's own clean-up) and parks their jobs for the next worker, instead of waiting
 * for runs that last far longer than any grace. `/stop` and normal ends are passed through untouched.
 */
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors/index.js';
import { createLogger } from '../../src/log/logger.js';
import type {
  PairJobInput,
  PairJobResult,
  PairRunner,
} from '../../src/workflow/tickets/pair-runner.js';
import { stoppablePairs } from '../../worker/stoppable-pairs.js';

const logger = createLogger({ level: 'silent' });

/** An engine stand-in that runs until its signal aborts, then cleans up (as the engine's `finally`). */
function abortableRunner(cleaned: string[], onAbort: 'stopped' | 'throw' = 'stopped'): PairRunner {
  return {
    run: (input) =>
      new Promise<PairJobResult>((resolve, reject) => {
        input.signal.addEventListener('abort', () => {
          cleaned.push(input.runKey);
          if (onAbort === 'stopped') {
            resolve({ status: 'stopped' });
          } else {
            reject(input.signal.reason as Error);
          }
        });
      }),
  };
}

const input = (runKey: string, signal = new AbortController().signal) =>
  ({ runKey, signal, logger }) as unknown as PairJobInput;

/** Whether `p` settles within a few event-loop turns. */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, 50));
  return settled;
}

describe('stoppablePairs', () => {
  it('stop() aborts every run in flight, waits for their clean-up, and parks their jobs', async () => {
    const cleaned: string[] = [];
    const pairs = stoppablePairs(abortableRunner(cleaned), logger);
    const a = pairs.runner.run(input('a'));
    const b = stoppablePairs(abortableRunner(cleaned, 'throw'), logger);
    const bRun = b.runner.run(input('b'));
    expect(await pairs.stop()).toBe(1);
    expect(await b.stop()).toBe(1);
    expect(cleaned.sort()).toEqual(['a', 'b']);
    // Parked: the job neither finishes (which would report it stopped or done) nor fails (an attempt).
    expect(await settles(a)).toBe(false);
    expect(await settles(bRun)).toBe(false);
    // A run taken after shutdown began is parked at once, without starting the engine.
    const late = pairs.runner.run(input('late'));
    expect(await settles(late)).toBe(false);
    expect(cleaned).not.toContain('late');
  });

  it('passes a /stop (the job signal) and normal ends through as they are', async () => {
    const cleaned: string[] = [];
    const pairs = stoppablePairs(abortableRunner(cleaned), logger);
    const job = new AbortController();
    const run = pairs.runner.run(input('s', job.signal));
    job.abort(new Error('/stop'));
    await expect(run).resolves.toEqual({ status: 'stopped' });
    const failing = stoppablePairs({ run: () => Promise.reject(new Error('git failed')) }, logger);
    await expect(failing.runner.run(input('f'))).rejects.toThrow('git failed');
    expect(await pairs.stop()).toBe(0);
  });

  it('the abort reason is an InterruptedError', async () => {
    let reason: unknown;
    const pairs = stoppablePairs(
      {
        run: (i) =>
          new Promise((resolve) =>
            i.signal.addEventListener('abort', () => {
              reason = i.signal.reason;
              resolve({ status: 'stopped' });
            }),
          ),
      },
      logger,
    );
    void pairs.runner.run(input('r'));
    await pairs.stop();
    expect(reason).toBeInstanceOf(InterruptedError);
  });
});
