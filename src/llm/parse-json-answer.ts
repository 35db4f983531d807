/**
 * Reads JSON out of a model's answer text. Small models often wrap JSON in a Markdown code fence or add
 * a sentence around it even when asked not to; this accepts those forms and nothing looser.
 */

/** The outcome of {@link parseJsonAnswer}: the parsed value, or why it could not be parsed. */
export type JsonAnswer = { ok: true; value: unknown } | { ok: false; error: string };

const FENCE = /^```(?:json|JSON)?\s*\n([\s\S]*?)\n?```$/;

/**
 * Parses `text` as JSON: the whole trimmed text, else the body of a single ```json fence, else the span
 * from the first `{`/`[` to the last `}`/`]`. Never throws.
 */
export function parseJsonAnswer(text: string): JsonAnswer {
  const trimmed = text.trim();
  const candidates = [trimmed];
  const fence = FENCE.exec(trimmed);
  if (fence?.[1] !== undefined) {
    candidates.push(fence[1]);
  }
  const start = trimmed.search(/[{[]/);
  const end = Math.max(trimmed.lastIndexOf('}'), trimmed.lastIndexOf(']'));
  if (start >= 0 && end > start) {
    candidates.push(trimmed.slice(start, end + 1));
  }
  let firstError = '';
  for (const candidate of candidates) {
    try {
      return { ok: true, value: JSON.parse(candidate) as unknown };
    } catch (error) {
      firstError ||= error instanceof Error ? error.message : String(error);
    }
  }
  return { ok: false, error: trimmed ? `not valid JSON: ${firstError}` : 'empty answer' };
}
