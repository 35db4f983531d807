/**
 * `search_memory` and `search_code`: what the repository remembers (approved specs and decisions, plans,
 * review feedback, why earlier runs were blocked, repository facts, the code of the base branch), found
 * by hybrid full-text and vector search. Offered only when the run has project memory
 * (`ToolContext.searchMemory`); `search_code` is `search_memory` restricted to code. The search itself
 * lives with project memory (`src/memory/recall.ts`).
 */
import { z } from 'zod';
import { MemoryKind } from '../../memory/memory-types.js';
import { defineTool, fail, type ToolContext, type ToolResult } from './tool-context.js';

/** Results a memory search answers unless the model asks for fewer. */
export const MEMORY_SEARCH_DEFAULT_LIMIT = 5;

const limit = z.number().int().min(1).max(10).optional();

async function search(
  ctx: ToolContext,
  request: { query: string; kind?: MemoryKind | undefined; limit?: number | undefined },
): Promise<ToolResult> {
  if (ctx.searchMemory === undefined) {
    return fail('memory_off', 'project memory is off for this repository');
  }
  const found = await ctx.searchMemory({
    query: request.query,
    ...(request.kind ? { kind: request.kind } : {}),
    limit: request.limit ?? MEMORY_SEARCH_DEFAULT_LIMIT,
  });
  return { ok: true, count: found.count, results: found.results };
}

export const searchMemory = defineTool({
  name: 'search_memory',
  description:
    'Search what this repository remembers, by meaning and words: specs and decisions, plans, review ' +
    'feedback, why earlier runs were blocked and what was tried, facts (setup, test commands), code.',
  args: z.object({
    query: z.string().trim().min(1).max(2_000),
    kind: MemoryKind.optional(),
    limit,
  }),
  run: (args, ctx) => search(ctx, args),
});

export const searchCode = defineTool({
  name: 'search_code',
  description:
    'Find code of the base branch by meaning and words; each match is one top-level definition with its path and lines.',
  args: z.object({ query: z.string().trim().min(1).max(2_000), limit }),
  run: (args, ctx) => search(ctx, { ...args, kind: 'code' }),
});
