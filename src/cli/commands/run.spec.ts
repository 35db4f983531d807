import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PairProgress } from '../../agents/pair-engine.js';
import type { LocalRun } from '../../eval/run-local-ticket.js';
import { formatDuration, formatProgress, formatUsageSummary, progressDisplay } from './run.js';

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

describe('formatUsageSummary', () => {
  it('prints tokens, calls, recorded attempts, cost and wall time, then one line per role', () => {
    const lines = formatUsageSummary({
      record: {
        usage: {
          tester: { calls: 3, inputTokens: 1_200, outputTokens: 300, costUsd: 0 },
          developer: { calls: 2, inputTokens: 2_000, outputTokens: 500, costUsd: 0.0125 },
        },
        durationMs: 83_400,
      } as unknown as LocalRun['record'],
      modelCalls: [
        { outcome: 'ok' },
        { outcome: 'ok' },
        { outcome: 'timeout' },
      ] as unknown as LocalRun['modelCalls'],
    });
    expect(lines[0]).toBe(
      'usage: 4,000 tokens (3,200 in, 800 out), 5 model calls (3 recorded attempts, 1 failed), $0.0125, wall 1m 23.4s',
    );
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      ['developer', '2', 'calls'],
      ['tester', '3', 'calls'],
    ]);
    expect(formatDuration(3_725_000)).toBe('1h 02m 05s');
    expect(formatDuration(4_200)).toBe('4.2s');
  });
});
