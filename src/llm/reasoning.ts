/**
 * Keeps a model's reasoning apart from its answer. Reasoning models (Qwen3, DeepSeek-R1, QwQ…) wrap their
 * chain of thought in `<think>…</think>` (some templates also emit `<thinking>`); it must never be parsed
 * as the answer.
 */

/** An answer split into the part to use and the reasoning to keep for logs. */
export interface SplitAnswer {
  /** The answer with every reasoning block removed, trimmed. */
  text: string;
  /** The reasoning blocks' contents, joined by a blank line; empty when there were none. */
  reasoning: string;
}

const BLOCK = /<(think|thinking)>([\s\S]*?)<\/\1>/gi;
/** Mistral's reasoning models (Magistral, Ministral 3) write `[THINK]…[/THINK]` control tokens. */
const MISTRAL_BLOCK = /\[THINK\]([\s\S]*?)\[\/THINK\]/g;
const UNCLOSED = /<(think|thinking)>([\s\S]*)$/i;
/** Some chat templates put the opening tag in the prompt, so the output starts mid-thought. */
const LEADING_CLOSE = /^([\s\S]*?)<\/(think|thinking)>/i;

/**
 * Splits `<think>…</think>` (and Mistral's `[THINK]…[/THINK]`) blocks out of `raw`. An unclosed `<think>` (output cut by max tokens) makes
 * everything after it reasoning; a lone leading `…</think>` (opening tag in the template) makes everything
 * before it reasoning. `extraReasoning` (e.g. Ollama's `message.thinking`) is put first.
 */
export function splitReasoning(raw: string, extraReasoning = ''): SplitAnswer {
  const parts: string[] = [];
  if (extraReasoning.trim()) {
    parts.push(extraReasoning.trim());
  }
  let text = raw;
  const lead = LEADING_CLOSE.exec(text);
  if (lead && !/<(think|thinking)>/i.test(lead[1] ?? '')) {
    parts.push((lead[1] ?? '').trim());
    text = text.slice(lead[0].length);
  }
  text = text.replace(BLOCK, (_m, _tag: string, inner: string) => {
    parts.push(inner.trim());
    return '';
  });
  text = text.replace(MISTRAL_BLOCK, (_m, inner: string) => {
    parts.push(inner.trim());
    return '';
  });
  const open = UNCLOSED.exec(text);
  if (open) {
    parts.push((open[2] ?? '').trim());
    text = text.slice(0, open.index);
  }
  return { text: text.trim(), reasoning: parts.filter((p) => p.length > 0).join('\n\n') };
}
