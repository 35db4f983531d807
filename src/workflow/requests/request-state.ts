/**
 * The request state machine (DESIGN.md, "The flow"): one person's issue from spec to done.
 * Transitions are explicit; anything else is an `InvalidTransitionError`, never a silent no-op.
 */
import { z } from 'zod';
import { InvalidTransitionError } from '../../errors/invalid-transition-error.js';

export const RequestState = z.enum([
  'new',
  'drafting',
  'spec_review',
  'approved',
  'planning',
  'in_progress',
  'done',
  'on_hold',
  'blocked',
  'cancelled',
]);
export type RequestState = z.infer<typeof RequestState>;

/** Allowed next states for each state. `done` and `cancelled` are final. */
export const REQUEST_TRANSITIONS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  // A `spec` job that fails for good before it starts drafting blocks the request.
  new: ['drafting', 'blocked', 'cancelled'],
  // The PM asks clarifying questions while drafting; the spec PR moves it to review.
  drafting: ['spec_review', 'blocked', 'cancelled'],
  // `/reject <why>` or requested changes send it back to drafting; `/approve` approves.
  spec_review: ['drafting', 'approved', 'blocked', 'cancelled'],
  // The spec edited after approval puts it on hold until `/approve` again.
  // A `plan` job that fails for good before it starts planning blocks the request.
  approved: ['planning', 'on_hold', 'blocked', 'cancelled'],
  planning: ['in_progress', 'on_hold', 'blocked', 'cancelled'],
  in_progress: ['done', 'on_hold', 'blocked', 'cancelled'],
  on_hold: ['approved', 'spec_review', 'drafting', 'cancelled'],
  // `/retry` resumes the step that blocked (recorded as `from` on the transition into `blocked`).
  blocked: ['drafting', 'spec_review', 'planning', 'in_progress', 'cancelled'],
  done: [],
  cancelled: [],
};

/** True when `from → to` is an allowed request transition. */
export function canMoveRequest(from: RequestState, to: RequestState): boolean {
  return REQUEST_TRANSITIONS[from].includes(to);
}

/**
 * Returns `to` when `from → to` is allowed.
 * @throws InvalidTransitionError otherwise (including `from === to`).
 */
export function moveRequest(from: RequestState, to: RequestState): RequestState {
  if (!canMoveRequest(from, to)) {
    throw new InvalidTransitionError('request', from, to);
  }
  return to;
}
