/**
 * What each agent recalls from project memory, as prompt sections under a token budget, plus the
 * search behind the `search_memory` / `search_code` tools of the pair agents (`src/agents/tools/`). The agents consume these; nothing here
 * calls a model except the embedding of the query (through `ProjectMemory`).
 *
 * - PM: prior specs and decisions of the repository, near the new issue.
 * - Architect: similar past plans, tickets, decisions, reviews and run diagnoses, and code of the base branch.
 * - Pair: what this ticket's earlier runs and reviews left (newest first: a blocked ticket's retry sees
 *   what was tried), the repository's facts (setup and test commands, conventions), related reviews and
 *   diagnoses of other tickets, and code hits.
 *
 * Every function answers `{ text: '' }` when memory is absent or off for the repository, and never fails
 * for the embedding model: a search falls back to full text (logged once by `ProjectMemory`).
 */
import type { MemoryKind } from './memory-types.js';
import type {
  MemoryHit,
  MemoryScope,
  MemorySearchRequest,
  ProjectMemory,
} from './project-memory.js';
import { renderMemorySection } from './render-memories.js';

/** What a recall gives an agent. */
export interface Recalled {
  /** Prompt sections (Markdown), '' when nothing was found or memory is off. */
  text: string;
  /** The memories shown, in the order shown. */
  hits: MemoryHit[];
}

/** The ticket as the pair knows it. */
export interface RecallTicket {
  /** Issue number of the ticket (memories of its runs and reviews have refs `issue#<n>/…`). */
  issueNumber: number;
  title: string;
  description: string;
  acceptanceCriteria: readonly string[];
}

const NOTHING: Recalled = { text: '', hits: [] };

/** The ref prefix of what a ticket's runs and reviews left. */
export function ticketRefPrefix(issueNumber: number): string {
  return `issue#${issueNumber}/`;
}

/** One section per part, each with its share of the budget; memories already shown are skipped. */
async function sections(
  scope: MemoryScope,
  budgetTokens: number,
  parts: readonly {
    title: string;
    share: number;
    find: (request: Omit<MemorySearchRequest, 'query'>) => Promise<MemoryHit[]>;
    request: Omit<MemorySearchRequest, 'query' | 'budgetTokens'>;
  }[],
): Promise<Recalled> {
  if (!scope.enabled) {
    return NOTHING;
  }
  const seen = new Set<number>();
  const texts: string[] = [];
  const hits: MemoryHit[] = [];
  for (const part of parts) {
    const found = (
      await part.find({ ...part.request, budgetTokens: Math.floor(budgetTokens * part.share) })
    ).filter((h) => !seen.has(h.id));
    found.forEach((h) => seen.add(h.id));
    hits.push(...found);
    const text = renderMemorySection(part.title, found);
    if (text !== '') {
      texts.push(text);
    }
  }
  return { text: texts.join('\n\n'), hits };
}

const searchWith =
  (memory: ProjectMemory, scope: MemoryScope, query: string) =>
  async (request: Omit<MemorySearchRequest, 'query'>): Promise<MemoryHit[]> =>
    (await memory.search(scope, { ...request, query })).hits;

/**
 * For the PM drafting a spec: prior specs and decisions of the repository near `issueText`.
 * @param budgetTokens tokens the sections may take (content and headings)
 */
export async function recallForPm(
  memory: ProjectMemory | undefined,
  scope: MemoryScope,
  issueText: string,
  budgetTokens: number,
): Promise<Recalled> {
  if (memory === undefined) {
    return NOTHING;
  }
  return sections(scope, budgetTokens, [
    {
      title: 'Earlier specs and decisions of this repository',
      share: 1,
      find: searchWith(memory, scope, issueText),
      request: { kinds: ['spec', 'decision'], limit: 6 },
    },
  ]);
}

/**
 * For the Architect splitting `specText` into tickets: similar past plans, tickets, decisions, reviews and run
 * diagnoses (half the budget), then code of the base branch (the other half).
 */
export async function recallForArchitect(
  memory: ProjectMemory | undefined,
  scope: MemoryScope,
  specText: string,
  budgetTokens: number,
): Promise<Recalled> {
  if (memory === undefined) {
    return NOTHING;
  }
  const search = searchWith(memory, scope, specText);
  return sections(scope, budgetTokens, [
    {
      title: 'Similar past work in this repository',
      share: 0.5,
      find: search,
      request: { kinds: ['plan', 'ticket', 'decision', 'diagnosis', 'review'], limit: 6 },
    },
    {
      title: 'Related code on the base branch',
      share: 0.5,
      find: search,
      request: { kinds: ['code'], limit: 8 },
    },
  ]);
}

/**
 * For the pair starting (or resuming) a ticket: this ticket's earlier runs and reviews (newest first),
 * the repository's facts, related reviews and diagnoses of other tickets, and code hits.
 */
export async function recallForPair(
  memory: ProjectMemory | undefined,
  scope: MemoryScope,
  ticket: RecallTicket,
  budgetTokens: number,
): Promise<Recalled> {
  if (memory === undefined) {
    return NOTHING;
  }
  const query = [ticket.title, ticket.description, ...ticket.acceptanceCriteria].join('\n');
  const search = searchWith(memory, scope, query);
  return sections(scope, budgetTokens, [
    {
      title: 'What earlier runs and reviews of this ticket left',
      share: 0.35,
      find: (request) => memory.recent(scope, request),
      request: {
        kinds: ['diagnosis', 'review'],
        refPrefix: ticketRefPrefix(ticket.issueNumber),
        limit: 4,
      },
    },
    {
      title: 'Facts about this repository',
      share: 0.1,
      find: (request) => memory.recent(scope, request),
      request: { kinds: ['fact'], limit: 8 },
    },
    {
      title: 'Related reviews and blocked runs of other tickets',
      share: 0.2,
      find: search,
      request: { kinds: ['review', 'diagnosis', 'decision'], limit: 4 },
    },
    {
      title: 'Related code on the base branch',
      share: 0.35,
      find: search,
      request: { kinds: ['code'], limit: 6 },
    },
  ]);
}

/** One search the pair's `search_memory` / `search_code` tools ask for. */
export interface MemoryToolSearch {
  query: string;
  /** Only memories of this kind (`code` for `search_code`). */
  kind?: MemoryKind;
  /** Most results. */
  limit: number;
}

/**
 * The search behind the pair's `search_memory` / `search_code` tools, for one repository: the best
 * matches within `budgetTokens`, rendered as a Markdown section with provenance. Database failures throw
 * (the tool call then ends the run as any infrastructure failure does); the embedding model being down
 * does not (full text answers).
 */
export function memoryToolSearch(
  memory: ProjectMemory,
  scope: MemoryScope,
  budgetTokens = 2_000,
): (request: MemoryToolSearch) => Promise<{ results: string; count: number }> {
  return async (request) => {
    const { hits } = await memory.search(scope, {
      query: request.query,
      ...(request.kind ? { kinds: [request.kind] } : {}),
      limit: request.limit,
      budgetTokens,
    });
    return {
      count: hits.length,
      results: hits.length === 0 ? 'No memory matches.' : renderMemorySection('Memories', hits),
    };
  };
}
