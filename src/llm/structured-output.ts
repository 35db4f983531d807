/**
 * Structured-output helpers: the JSON Schema sent for a zod schema, the repair prompt, and call cost.
 */
import { z } from 'zod';
import type { ModelEntry } from './catalog.js';
import type { ModelResponse } from './types.js';

/** Cost in US dollars of `usage` at the catalog prices (per 1M tokens). */
export function costOf(entry: ModelEntry, usage: ModelResponse['usage']): number {
  return (
    (usage.inputTokens * entry.priceInPerMTok + usage.outputTokens * entry.priceOutPerMTok) /
    1_000_000
  );
}

/** The repair prompt shown to a model whose structured answer was invalid. */
export function repairPrompt(issues: readonly string[]): string {
  return (
    `Your previous answer was not valid: ${issues.join('; ')}.\n` +
    'Reply again with only the corrected JSON value that matches the requested schema, and nothing else.'
  );
}

/** JSON Schema (draft 2020-12) of a zod schema, without the `$schema` key some servers reject. */
export function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'any',
  });
  return rest;
}
