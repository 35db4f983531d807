import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PairProgress } from '../../agents/pair-engine.js';
import { formatProgress, progressDisplay } from './run.js';

const progress: PairProgress = {
  phase: 'green',
  cycle: 2,
  criterion: 1,
  criteria: 3,
  passing: 4,
  failing: 1,
  tokens: 1_234,
  elapsedMs: 12_000,
  message: 'running the tests',
};

describe('progressDisplay', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('on a TTY redraws one line every second with the elapsed time moving on', () => {
    const writes: string[] = [];
    const display = progressDisplay({ write: (t) => writes.push(t), tty: true });
    display.update(progress);
    expect(writes).toEqual([`\r\x1b[2K${formatProgress(progress)}`]);
    vi.advanceTimersByTime(3_000);
    expect(writes).toHaveLength(4);
    expect(writes.at(-1)).toBe(`\r\x1b[2K${formatProgress({ ...progress, elapsedMs: 15_000 })}`);
    expect(writes.at(-1)).toContain(
      '[15.0s] cycle 2 · criterion 2/3 · green · tests 4 passing, 1 failing',
    );
    display.stop();
    display.stop();
    vi.advanceTimersByTime(3_000);
    expect(writes.slice(4)).toEqual(['\n']);
  });

  it('cuts TTY lines to the terminal width', () => {
    const writes: string[] = [];
    progressDisplay({ write: (t) => writes.push(t), tty: true, columns: 40 }).update(progress);
    expect(writes[0]).toBe(`\r\x1b[2K${formatProgress(progress).slice(0, 39)}`);
  });

  it('elsewhere writes one line per update and never ticks', () => {
    const writes: string[] = [];
    const display = progressDisplay({ write: (t) => writes.push(t), tty: false });
    display.update(progress);
    vi.advanceTimersByTime(5_000);
    display.stop();
    expect(writes).toEqual([`${formatProgress(progress)}\n`]);
  });
});
