/**
 * The Architect agent: reads the approved spec, a map of the repository, search hits for the spec's key
 * terms and the content of the files they point to (`code-context.ts`), and splits the work into tickets
 * (title, description, testable acceptance criteria, dependencies, likely files). The plan's dependency
 * graph is checked with `orderTicketPlan`; a plan with problems (unknown keys, cycles) is shown back to
 * the model once with the problems. A plan that stays invalid (the model layer's `InvalidModelOutputError`,
 * or dependency problems after the repair) moves the Architect to the next alias of its escalation chain,
 * which plans afresh; with the chain exhausted the last error is thrown (`InvalidPlanError` for dependency
 * problems).
 */
import { InvalidModelOutputError } from '../errors/index.js';
import { InvalidPlanError } from '../errors/invalid-plan-error.js';
import type { ChatMessage } from '../llm/types.js';
import { withEscalation } from './complete-escalating.js';
import type { PlanningModel } from './planning-model.js';
import { orderTicketPlan, TicketPlan, type PlannedTicket } from './ticket-plan.js';

/** System prompt of the Architect. */
export const ARCHITECT_SYSTEM = [
  'You are the software architect of a small team. You receive an approved spec, a map of the',
  'repository and the code that looks relevant to it. Split the work into the fewest tickets that can each',
  'be built and reviewed alone, in one pull request, test-first. Each ticket has a short key (T1, T2, …), a',
  'title, a description, acceptance criteria that an automated test can check, the keys of tickets it',
  'depends on, and the repository files it will likely change (existing paths from the map, or new ones',
  'next to them). Dependencies must form no cycle. Answer only with JSON matching the requested schema.',
].join('\n');

/** What the Architect reads. */
export interface PlanInput {
  issue: { number: number; title: string };
  specMarkdown: string;
  /** File list with top-level symbols (`buildRepoMap`). */
  repoMap: string;
  /** Search hits for the spec's key terms (`architectContext`), `term: path:line: text` lines. */
  searchHits?: string;
  /** The files the hits point to, with their (budgeted) content. */
  files?: readonly { path: string; content: string }[];
  /** What project memory recalls (similar past work, code of the base branch), Markdown sections. */
  memory?: string;
}

/** The Architect's user prompt. */
export function architectPrompt(input: PlanInput): string {
  const files = (input.files ?? []).flatMap((f) => ['', `${f.path}:`, '```', f.content, '```']);
  return [
    `Request #${input.issue.number}: ${input.issue.title}`,
    '',
    'Approved spec:',
    input.specMarkdown,
    '',
    'Repository map:',
    input.repoMap || '(empty repository)',
    ...(input.searchHits
      ? ['', "Where the spec's key terms occur in the code:", input.searchHits]
      : []),
    ...(files.length > 0 ? ['', 'Files that look relevant:', ...files] : []),
    ...(input.memory ? ['', 'From project memory:', input.memory] : []),
  ].join('\n');
}

/**
 * Plans the tickets of a request, in dependency order.
 * @throws InvalidPlanError when the repaired plan still has dependency problems with every alias of the
 *   Architect's chain
 * @throws the model layer's errors (invalid JSON with every alias, budgets, provider failures)
 */
export async function planTickets(
  model: PlanningModel,
  input: PlanInput,
): Promise<PlannedTicket[]> {
  const messages: ChatMessage[] = [
    { role: 'system', content: ARCHITECT_SYSTEM },
    { role: 'user', content: architectPrompt(input) },
  ];
  return withEscalation(
    model,
    'architect',
    () => planOnce(model, messages),
    (e) => e instanceof InvalidPlanError || e instanceof InvalidModelOutputError,
  );
}

/** One alias's plan: the answer, and one repair of dependency problems. */
async function planOnce(model: PlanningModel, messages: ChatMessage[]): Promise<PlannedTicket[]> {
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
