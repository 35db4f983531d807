/**
 * Cuts search results to a token budget: results are taken in order while they fit; the first one that
 * does not fit is shortened to what is left (when at least {@link MIN_PART_TOKENS} are), and nothing
 * after it is taken, so the most relevant memories always come first and whole.
 */
import { BASE_CHARS_PER_TOKEN } from '../llm/context/token-counter.js';

/** A shortened memory below this many tokens is dropped rather than shown as a stub. */
export const MIN_PART_TOKENS = 32;

/** Tokens of a text by the characters-per-token estimate the context manager starts from. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / BASE_CHARS_PER_TOKEN);
}

/** Something with text that counts against the budget. */
export interface Budgeted {
  content: string;
}

/**
 * The longest prefix of `items` that fits `budgetTokens`, the last one possibly cut (its `content` ends
 * with `…` and `truncated` is true). `overhead(item)` is what each item adds besides its content (a
 * heading), in tokens; `count` counts tokens of a text (default {@link estimateTokens}).
 */
export function fitTokenBudget<T extends Budgeted>(
  items: readonly T[],
  budgetTokens: number,
  overhead: (item: T) => number = () => 0,
  count: (text: string) => number = estimateTokens,
): (T & { truncated: boolean })[] {
  const out: (T & { truncated: boolean })[] = [];
  let left = budgetTokens;
  for (const item of items) {
    const cost = count(item.content) + overhead(item);
    if (cost <= left) {
      out.push({ ...item, truncated: false });
      left -= cost;
      continue;
    }
    const room = left - overhead(item);
    if (room >= MIN_PART_TOKENS) {
      // Shrink by the ratio of tokens, then trim until the count fits (estimates are not linear).
      let chars = Math.floor((item.content.length * room) / Math.max(1, count(item.content)));
      while (chars > 0 && count(`${item.content.slice(0, chars)}…`) > room) {
        chars = Math.floor(chars * 0.9);
      }
      if (chars > 0) {
        out.push({ ...item, content: `${item.content.slice(0, chars)}…`, truncated: true });
      }
    }
    break;
  }
  return out;
}
