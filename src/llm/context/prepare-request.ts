/**
 * The request a session sends for a caller's request: the alias's default temperature and seed filled
 * in, and the conversation fitted into the alias's `contextSize` with room left for the answer.
 *
 * Budget: `contextSize` = prompt + answer + margin. The answer's room is `reserve` = the request's
 * `maxTokens` (default the alias's `maxOutputTokens`) but at most a quarter of the context, so a large
 * output cap does not starve the prompt; the margin is 2 % of the context (at least 32 tokens) for what
 * the count cannot see exactly. The prompt (messages plus the tools' description) gets the rest, times
 * `shrink` (lowered after a server's context-length error), and the `maxTokens` sent is what is left
 * after the prompt, never more than asked: prompt + `maxTokens` ≤ `contextSize` on every request.
 */
import { ContextLengthExceededError } from '../../errors/index.js';
import type { ModelEntry } from '../catalog.js';
import type { ModelRequest } from '../types.js';
import { fitContext, type FitResult } from './fit-context.js';
import type { TokenCounter } from './token-counter.js';

/** A request ready to send, and what fitting it did. */
export interface PreparedRequest {
  request: ModelRequest;
  /** Prompt tokens as counted (calibrated), tools included. */
  promptTokens: number;
  /** Uncalibrated count of the prompt, for `TokenCounter.observe`. */
  rawTokens: number;
  fit: FitResult;
}

/** Answer room: the output cap, but at most a quarter of the context. */
export function answerReserve(contextSize: number, maxTokens: number): number {
  return Math.min(maxTokens, Math.ceil(contextSize / 4));
}

/** Tokens kept free for what the count cannot see exactly. */
export function contextMargin(contextSize: number): number {
  return Math.max(32, Math.ceil(contextSize * 0.02));
}

/**
 * See the module comment.
 * @throws ContextLengthExceededError when the conversation cannot be brought under the budget (the
 *   system prompt, task and latest turn are too long even cut, or the tools alone fill the context)
 */
export async function prepareRequest(
  alias: string,
  entry: ModelEntry,
  counter: TokenCounter,
  request: ModelRequest,
  shrink = 1,
): Promise<PreparedRequest> {
  const { contextSize } = entry;
  const { signal } = request;
  const maxTokens = request.maxTokens ?? entry.maxOutputTokens;
  const margin = contextMargin(contextSize);
  const tools = request.tools ?? [];
  const toolTokens = await counter.tools(tools, signal);
  const budget =
    Math.floor((contextSize - answerReserve(contextSize, maxTokens) - margin) * shrink) -
    toolTokens;
  if (budget <= 0) {
    throw new ContextLengthExceededError(
      alias,
      `the tool descriptions (${toolTokens} tokens) leave no room in the context of ${contextSize} tokens`,
      { contextTokens: contextSize },
    );
  }
  const fit = await fitContext(request.messages, {
    budget,
    count: (m) => counter.message(m, signal),
    ...(request.keepToolResults === undefined ? {} : { keepToolResults: request.keepToolResults }),
  });
  if (!fit.fits) {
    throw new ContextLengthExceededError(
      alias,
      `the conversation does not fit the context of ${contextSize} tokens even condensed (${fit.tokens} tokens of messages for ${budget})`,
      { contextTokens: contextSize },
    );
  }
  const promptTokens = fit.tokens + toolTokens;
  const temperature = request.temperature ?? entry.temperature;
  const seed = request.seed ?? entry.seed;
  return {
    request: {
      ...request,
      messages: fit.messages,
      maxTokens: Math.max(1, Math.min(maxTokens, contextSize - promptTokens - margin)),
      temperature,
      ...(seed === undefined ? {} : { seed }),
      turn: request.turn ?? request.messages.filter((m) => m.role === 'assistant').length,
    },
    promptTokens,
    rawTokens: await counter.rawRequest(fit.messages, tools, signal),
    fit,
  };
}
