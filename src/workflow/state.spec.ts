import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from '../errors/invalid-transition-error.js';
import { REQUEST_TRANSITIONS, RequestState, moveRequest } from './requests/request-state.js';
import type { TicketState } from './tickets/ticket-state.js';
import { columnLabelChanges, moveTicket } from './tickets/ticket-state.js';

describe('request state machine', () => {
  it('walks the happy path of DESIGN.md', () => {
    const path: RequestState[] = [
      'new',
      'drafting',
      'spec_review',
      'approved',
      'planning',
      'in_progress',
      'done',
    ];
    for (let i = 1; i < path.length; i++) {
      expect(moveRequest(path[i - 1]!, path[i]!)).toBe(path[i]);
    }
  });

  it('puts an approved spec that was edited on hold and re-approves it', () => {
    expect(moveRequest('approved', 'on_hold')).toBe('on_hold');
    expect(moveRequest('on_hold', 'approved')).toBe('approved');
  });

  it('rejects a skipped step with a typed error naming both states', () => {
    const error = (() => {
      try {
        moveRequest('new', 'approved');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({ code: 'invalid_transition', from: 'new', to: 'approved' });
  });

  it('treats done and cancelled as final, and every target as a known state', () => {
    for (const to of RequestState.options) {
      expect(() => moveRequest('done', to)).toThrow(InvalidTransitionError);
      expect(() => moveRequest('cancelled', to)).toThrow(InvalidTransitionError);
    }
    for (const targets of Object.values(REQUEST_TRANSITIONS)) {
      for (const t of targets) {
        expect(RequestState.options).toContain(t);
      }
    }
  });
});

describe('ticket state machine', () => {
  it('moves through the Kanban columns and back for a revision', () => {
    let s: TicketState = 'backlog';
    for (const next of [
      'todo',
      'in_progress',
      'review',
      'in_progress',
      'review',
      'done',
    ] as const) {
      s = moveTicket(s, next);
    }
    expect(s).toBe('done');
  });

  it('refuses to reopen a done ticket or jump from backlog to review', () => {
    expect(() => moveTicket('done', 'todo')).toThrow(InvalidTransitionError);
    expect(() => moveTicket('backlog', 'review')).toThrow(InvalidTransitionError);
  });

  it('computes the label changes that mirror a column and leaves other labels alone', () => {
    expect(columnLabelChanges(['bug', 'tandem:ticket', 'tandem:todo'], 'in_progress')).toEqual({
      add: ['tandem:in-progress'],
      remove: ['tandem:todo'],
    });
    expect(columnLabelChanges(['tandem:review'], 'review')).toEqual({ add: [], remove: [] });
    expect(columnLabelChanges(['tandem:blocked'], 'backlog')).toEqual({
      add: [],
      remove: ['tandem:blocked'],
    });
  });
});
