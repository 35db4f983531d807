/**
 * The ticket state machine (DESIGN.md): Kanban columns mirrored as `tandem:*` labels on the ticket issue.
 * Transitions are explicit; anything else is an `InvalidTransitionError`.
 */
import { z } from 'zod';
import { InvalidTransitionError } from '../../errors/invalid-transition-error.js';

export const TicketState = z.enum(['backlog', 'todo', 'in_progress', 'review', 'done', 'blocked']);
export type TicketState = z.infer<typeof TicketState>;

/** Allowed next states for each state. `done` is final. */
export const TICKET_TRANSITIONS: Readonly<Record<TicketState, readonly TicketState[]>> = {
  // Dependencies done → todo.
  backlog: ['todo', 'blocked'],
  // A pair job picks it up.
  todo: ['in_progress', 'blocked'],
  // PR opened → review; budget or escalation chain exhausted → blocked; `/stop` → todo (checkpoint kept).
  in_progress: ['review', 'blocked', 'todo'],
  // Changes requested → in_progress (revise job); PR merged → done.
  review: ['in_progress', 'done', 'blocked'],
  done: [],
  // `/retry` → todo (resumes from the checkpoint); a merged PR of a blocked ticket still completes it.
  blocked: ['todo', 'in_progress', 'done'],
};

/** The label that mirrors each column on the forge; backlog tickets carry only `tandem:ticket`. */
export const TICKET_LABELS: Readonly<Record<TicketState, string | null>> = {
  backlog: null,
  todo: 'tandem:todo',
  in_progress: 'tandem:in-progress',
  review: 'tandem:review',
  done: 'tandem:done',
  blocked: 'tandem:blocked',
};

/** Colours (hex, no `#`) used when Tandem creates its labels. */
export const LABEL_COLOURS: Readonly<Record<string, string>> = {
  'tandem:ticket': '5319e7',
  'tandem:todo': 'c5def5',
  'tandem:in-progress': 'fbca04',
  'tandem:review': '0e8a16',
  'tandem:done': '006b75',
  'tandem:blocked': 'b60205',
  'tandem:approved': '0e8a16',
};

/** True when `from → to` is an allowed ticket transition. */
export function canMoveTicket(from: TicketState, to: TicketState): boolean {
  return TICKET_TRANSITIONS[from].includes(to);
}

/**
 * Returns `to` when `from → to` is allowed.
 * @throws InvalidTransitionError otherwise (including `from === to`).
 */
export function moveTicket(from: TicketState, to: TicketState): TicketState {
  if (!canMoveTicket(from, to)) {
    throw new InvalidTransitionError('ticket', from, to);
  }
  return to;
}

/**
 * Labels to add and remove so an issue's `tandem:*` column label matches `state`.
 * `current` is the label names; other labels are left alone.
 */
export function columnLabelChanges(
  current: readonly string[],
  state: TicketState,
): { add: string[]; remove: string[] } {
  const wanted = TICKET_LABELS[state];
  const columns = new Set(Object.values(TICKET_LABELS).filter((l): l is string => l !== null));
  const remove = current.filter((l) => columns.has(l) && l !== wanted);
  const add = wanted !== null && !current.includes(wanted) ? [wanted] : [];
  return { add, remove };
}
