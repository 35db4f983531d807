import { describe, expect, it } from 'vitest';
import { Checkpoint } from '../../agents/checkpoint.js';
import { reopen, startingEscalation } from './engine-pair-runner.js';

const blocked = Checkpoint.parse({
  version: 1,
  phase: 'blocked',
  cycle: 2,
  criterion: 1,
  attempts: 2,
  baseCommit: 'a',
  lastCommit: 'b',
  criteria: [
    { text: 'one', status: 'met' },
    { text: 'two', status: 'open' },
  ],
  cycles: [],
  tried: ['green attempt 1 with script: suite failed'],
  escalations: [{ role: 'developer', to: 'big', phase: 'green' }],
  diagnosis: {
    reason: 'escalation_exhausted',
    phase: 'green',
    cycle: 2,
    whatFailed: 'suite failed',
    lastTestOutput: '',
    tried: [],
  },
});

describe('reopen', () => {
  it('puts a blocked run back in the phase it was blocked in, with fresh attempts and no diagnosis', () => {
    const cp = reopen(blocked);
    expect(cp.phase).toBe('green');
    expect(cp.attempts).toBe(0);
    expect(cp.diagnosis).toBeUndefined();
    expect(cp.cycle).toBe(2);
    expect(cp.criteria[0]?.status).toBe('met');
    expect(cp.tried.at(-1)).toBe('retried after being blocked');
    expect(cp.escalations).toHaveLength(1);
  });

  it('restarts at red when the diagnosis does not say where it stopped', () => {
    const { diagnosis: _d, ...rest } = blocked;
    expect(reopen(Checkpoint.parse(rest)).phase).toBe('red');
  });
});

describe('startingEscalation', () => {
  it('subtracts the escalations the engine replays from the checkpoint', () => {
    expect(startingEscalation({ developer: 2, tester: 1 }, blocked)).toEqual({
      developer: 1,
      tester: 1,
    });
  });

  it('keeps the ticket positions for a fresh run and never goes below 0', () => {
    expect(startingEscalation({ developer: 1 }, null)).toEqual({ developer: 1 });
    expect(startingEscalation({ developer: 0 }, blocked)).toEqual({ developer: 0 });
  });
});
