/**
 * Prompt token counts for one alias, used to keep every request inside the alias's `contextSize`.
 *
 * Method. A message counts as the tokens of its text (content, tool calls as JSON, tool name) plus
 * {@link MESSAGE_OVERHEAD} for the chat template's role markers; offered tools count as the tools section
 * of the text protocol (`toolsPrompt`), which is what text mode sends and close to what native templates
 * add. Tokens of a text come from the provider's tokenizer when it has one (node-llama-cpp's `tokenize`,
 * a server's `/tokenize`), else from characters: `ceil(chars / 3)`, 3 characters per token being on the
 * safe side for code (BPE tokenizers of coder models give about 3.5–4 on source code and English).
 *
 * Calibration. After each call the raw count of the request is compared with the prompt tokens the
 * server reported (`usage.inputTokens`); their ratio scales later counts. A ratio above the current scale
 * is taken at once (an under-count is what overflows a context); a lower one moves the scale a fifth of
 * the way (`scale ← 0.8·scale + 0.2·ratio`). Ratios under 0.5 are ignored: Ollama reports only the tokens
 * it evaluated, so a prompt whose prefix was cached looks far shorter than it is. The scale stays within
 * [0.6, 4]; with the estimate, `3 / scale` is the calibrated number of characters per token. A server's
 * context-length error that names the prompt's size is used the same way.
 */
import type { ChatMessage, ToolDefinition } from '../types.js';
import { toolsPrompt } from '../tool-calls/text-tool-protocol.js';

/** Characters per token assumed before calibration. */
export const BASE_CHARS_PER_TOKEN = 3;
/** Tokens a chat template adds per message (role markers, separators, tool-call wrappers). */
export const MESSAGE_OVERHEAD = 8;
/** Ratios below this are cached-prefix reports, not tokenizer differences (see the module comment). */
const MIN_RATIO = 0.5;
const SCALE_RANGE = [0.6, 4] as const;
/** Counts kept per counter (texts repeat across turns: the history is resent every call). */
const CACHE_LIMIT = 2_000;

/** Options of {@link TokenCounter}. */
export interface TokenCounterOptions {
  /** The provider's tokenizer; absent: the character estimate. */
  tokenize?: (text: string, signal?: AbortSignal) => Promise<number>;
  /** Called once when the tokenizer fails; counting falls back to the estimate. */
  onTokenizerError?: (error: unknown) => void;
}

/** The text of a message as the model sees it (without template markers). */
export function messageText(m: ChatMessage): string {
  if (m.role === 'assistant') {
    return m.toolCalls?.length ? `${m.content}${JSON.stringify(m.toolCalls)}` : m.content;
  }
  return m.role === 'tool' ? `${m.name}\n${m.content}` : m.content;
}

/** See the module comment. One per alias, shared by the alias's sessions. */
export class TokenCounter {
  private scale = 1;
  private readonly cache = new Map<string, number>();
  private tokenize: TokenCounterOptions['tokenize'];

  constructor(private readonly options: TokenCounterOptions = {}) {
    this.tokenize = options.tokenize;
  }

  /** True when counts come from a tokenizer rather than the character estimate. */
  get exact(): boolean {
    return this.tokenize !== undefined;
  }

  /** The calibration scale (server tokens per counted token). */
  get calibration(): number {
    return this.scale;
  }

  /** Tokens of `m` in a prompt, calibrated. */
  async message(m: ChatMessage, signal?: AbortSignal): Promise<number> {
    return Math.ceil(((await this.raw(messageText(m), signal)) + MESSAGE_OVERHEAD) * this.scale);
  }

  /** Tokens the description of `tools` adds to a prompt, calibrated. */
  async tools(tools: readonly ToolDefinition[], signal?: AbortSignal): Promise<number> {
    return tools.length === 0
      ? 0
      : Math.ceil((await this.raw(toolsPrompt(tools), signal)) * this.scale);
  }

  /** Uncalibrated tokens of a whole request, for {@link observe}. */
  async rawRequest(
    messages: readonly ChatMessage[],
    tools: readonly ToolDefinition[],
    signal?: AbortSignal,
  ): Promise<number> {
    let total = tools.length === 0 ? 0 : await this.raw(toolsPrompt(tools), signal);
    for (const m of messages) {
      total += (await this.raw(messageText(m), signal)) + MESSAGE_OVERHEAD;
    }
    return total;
  }

  /** Calibrates with the prompt tokens a server reported for a request whose raw count was `counted`. */
  observe(counted: number, actual: number): void {
    if (counted <= 0 || actual <= 0) {
      return;
    }
    const ratio = actual / counted;
    if (ratio < MIN_RATIO) {
      return;
    }
    const next = ratio > this.scale ? ratio : 0.8 * this.scale + 0.2 * ratio;
    this.scale = Math.min(SCALE_RANGE[1], Math.max(SCALE_RANGE[0], next));
  }

  private async raw(text: string, signal?: AbortSignal): Promise<number> {
    if (this.tokenize === undefined) {
      return Math.ceil(text.length / BASE_CHARS_PER_TOKEN);
    }
    const cached = this.cache.get(text);
    if (cached !== undefined) {
      return cached;
    }
    let n: number;
    try {
      n = await this.tokenize(text, signal);
    } catch (error) {
      if (signal?.aborted) {
        throw error;
      }
      // A tokenizer that fails once (endpoint missing, server down) is not asked again.
      this.tokenize = undefined;
      this.options.onTokenizerError?.(error);
      return Math.ceil(text.length / BASE_CHARS_PER_TOKEN);
    }
    if (this.cache.size >= CACHE_LIMIT) {
      this.cache.delete(this.cache.keys().next().value as string);
    }
    this.cache.set(text, n);
    return n;
  }
}
