/**
 * The Architect agent: reads the approved spec and a map of the repository and splits the work into
 * tickets (title, description, testable acceptance criteria, dependencies, likely files). The plan's
 * dependency graph is checked with `orderTicketPlan`; a plan with problems (unknown keys, cycles) is
 * shown back to the model once with the problems, then refused with `InvalidPlanError`.
 */
import { InvalidPlanError } from '../errors/invalid-plan-error.js';
import type { PlanningModel } from './planning-model.js';
import { orderTicketPlan, TicketPlan, type PlannedTicket } from './ticket-plan.js';

/** System prompt of the Architect. */
export const ARCHITECT_SYSTEM = [
  'You are the software architect of a small team. You receive an approved spec and a map of the',
  'repository. Split the work into the fewest tickets that can each be built and reviewed alone, in one',
  'pull request, test-first. Each ticket has a short key (T1, T2, …), a title, a description, acceptance',
  'criteria that an automated test can check, the keys of tickets it depends on, and the files it will',
  'likely change. Dependencies must form no cycle. Answer only with JSON matching the requested schema.',
].join('\n');

/** What the Architect reads. */
export interface PlanInput {
  issue: { number: number; title: string };
  specMarkdown: string;
  /** File list with top-level symbols (`buildRepoMap`). */
  repoMap: string;
  /** Optional search hits the workflow found for terms of the spec. */
  searchHits?: string;
}

/**
 * Plans the tickets of a request, in dependency order.
 * @throws InvalidPlanError when the repaired plan still has dependency problems
 * @throws the model layer's errors (invalid JSON twice, budgets, provider failures)
 */
export async function planTickets(
  model: PlanningModel,
  input: PlanInput,
): Promise<PlannedTicket[]> {
  const messages = [
    { role: 'system' as const, content: ARCHITECT_SYSTEM },
    {
      role: 'user' as const,
      content: [
        `Request #${input.issue.number}: ${input.issue.title}`,
        '',
        'Approved spec:',
        input.specMarkdown,
        '',
        'Repository map:',
        input.repoMap || '(empty repository)',
        ...(input.searchHits ? ['', 'Search results:', input.searchHits] : []),
      ].join('\n'),
    },
  ];
  const first = await model.completeStructured('architect', { step: 'plan', messages }, TicketPlan);
  const ordered = orderTicketPlan(first.value);
  if (ordered.ok) {
    return ordered.tickets;
  }
  const second = await model.completeStructured(
    'architect',
    {
      step: 'plan',
      messages: [
        ...messages,
        { role: 'assistant', content: JSON.stringify(first.value) },
        {
          role: 'user',
          content: `The plan has dependency problems: ${ordered.problems.join('; ')}. Reply with the corrected plan.`,
        },
      ],
    },
    TicketPlan,
  );
  const again = orderTicketPlan(second.value);
  if (!again.ok) {
    throw new InvalidPlanError(again.problems);
  }
  return again.tickets;
}
