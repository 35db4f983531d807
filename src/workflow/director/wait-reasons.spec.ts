import { describe, expect, it } from 'vitest';
import { quotaPeriod } from './repository-quota.js';
import { waitNotes } from './wait-reasons.js';

const t = (id: number, state: string, dependsOn: number[] = []) => ({ id, state, dependsOn });

describe('waitNotes', () => {
  it('gives each waiting ticket its place and the reason it waits', () => {
    const notes = waitNotes({
      tickets: [
        t(1, 'in_progress'),
        t(2, 'in_progress'),
        t(3, 'todo'),
        t(4, 'todo'),
        t(5, 'backlog', [3, 4]),
        t(6, 'done'),
      ],
      paused: false,
      quota: null,
      running: new Set([1]),
      maxActiveTickets: 2,
      pairQueue: new Map([[2, { position: 3, of: 4 }]]),
      preempted: new Set([2]),
    });
    expect(notes.repository).toBeNull();
    expect(Object.fromEntries(notes.tickets)).toEqual({
      2: 'pair queue 3 of 4: waits for a pair slot, paused for higher-priority work',
      3: 'to-do queue 1 of 2: waits for a ticket slot (2 of maxActiveTickets 2 running)',
      4: 'to-do queue 2 of 2: waits for a ticket slot (2 of maxActiveTickets 2 running)',
      5: 'waits for 2 dependencies',
    });
  });

  it('names a quota pause and when it ends, and a /pause', () => {
    const resumesAt = new Date('2026-12-01T00:00:00Z');
    const atQuota = waitNotes({
      tickets: [t(1, 'todo')],
      paused: false,
      quota: { key: 'costUsdPerMonth', resumesAt },
      running: new Set(),
    });
    expect(atQuota.repository).toBe(
      'Paused at `quotas.costUsdPerMonth` until 2026-12-01 00:00 UTC: nothing new starts; work resumes then.',
    );
    expect(atQuota.tickets.get(1)).toBe('to-do queue 1 of 1: the repository is paused');
    const paused = waitNotes({ tickets: [], paused: true, quota: null, running: new Set() });
    expect(paused.repository).toContain('`/resume`');
  });
});

describe('quotaPeriod', () => {
  it('is the UTC day or the UTC calendar month around now, the end being the next start', () => {
    const now = new Date('2026-12-31T23:59:59Z');
    expect(quotaPeriod('tokensPerDay', now)).toEqual({
      start: new Date('2026-12-31T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(quotaPeriod('costUsdPerMonth', now)).toEqual({
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
  });
});
