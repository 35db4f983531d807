import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PairProgress } from '../../agents/pair-engine.js';
import type { LocalRun } from '../../eval/run-local-ticket.js';
import {
  formatBlockedOutput,
  formatDuration,
  formatProgress,
  formatUsageSummary,
  progressDisplay,
  signalExitCode,
} from './run.js';

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

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('progressDisplay', () => {
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

describe('progressDisplay before the pair (stages and setup output)', () => {
  it('shows stages from the first second, the setup output under them, then a count past the cap', () => {
    const writes: string[] = [];
    const display = progressDisplay({
      write: (t) => writes.push(t),
      tty: false,
      maxOutputLines: 2,
    });
    display.stage('opening the workspace');
    vi.advanceTimersByTime(1_500);
    display.stage('setup running: npm ci');
    for (const line of ['added 1', 'added 2', 'added 3', 'added 4']) {
      display.output(line);
    }
    vi.advanceTimersByTime(2_000);
    display.stage('setup finished in 2.0s');
    display.update(progress);
    display.stop();
    expect(writes.join('')).toBe(
      [
        '[0.0s] opening the workspace',
        '[1.5s] setup running: npm ci',
        '  | added 1',
        '  | added 2',
        '  | … 2 more lines not shown',
        '[3.5s] setup finished in 2.0s',
        formatProgress(progress),
        '',
      ].join('\n'),
    );
  });

  it('on a TTY keeps output lines above the status line, whose clock keeps moving', () => {
    const writes: string[] = [];
    const display = progressDisplay({ write: (t) => writes.push(t), tty: true });
    display.stage('setup running: npm ci');
    display.output('fetching');
    expect(writes).toEqual([
      '\r\x1b[2K[0.0s] setup running: npm ci',
      '\r\x1b[2K  | fetching\n',
      '\r\x1b[2K[0.0s] setup running: npm ci',
    ]);
    vi.advanceTimersByTime(2_000);
    expect(writes.at(-1)).toBe('\r\x1b[2K[2.0s] setup running: npm ci');
    display.stop();
  });
});

describe('formatBlockedOutput', () => {
  it('prints the last lines of a failed setup and names TANDEM_SANDBOX_CA_CERTS for a TLS failure', () => {
    const output = [
      ...Array.from({ length: 20 }, (_, i) => `npm http fetch ${i}`),
      'npm ERR! code SELF_SIGNED_CERT_IN_CHAIN',
      'npm ERR! self-signed certificate in certificate chain',
    ].join('\n');
    const lines = formatBlockedOutput({ reason: 'setup_failed', lastTestOutput: output }, false);
    expect(lines[0]).toBe('last output (15 of 22 lines):');
    expect(lines.at(-2)).toBe('  | npm ERR! self-signed certificate in certificate chain');
    expect(lines.at(-1)).toMatch(/^hint: .*set TANDEM_SANDBOX_CA_CERTS to a PEM file/);
    // Not a setup, or no TLS failure: no hint.
    expect(
      formatBlockedOutput({ reason: 'budget_cycles', lastTestOutput: output }, false).at(-1),
    ).not.toMatch(/^hint/);
    expect(formatBlockedOutput({ reason: 'setup_failed', lastTestOutput: '' }, false)).toEqual([]);
  });

  it('exit codes of a signal are 128 + its number', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
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
