/**
 * The `ollama` provider, through the `ollama` package's `/api/chat`. Always sends `options.num_ctx` from
 * the catalog (Ollama silently truncates the prompt to its small default context otherwise), `format` =
 * the JSON Schema for structured output, `keep_alive`, and `think: true` for reasoning models; the answer's
 * `message.thinking` and any `<think>` block are kept apart from the text. Embedding aliases go through
 * `/api/embed` (`input` as a list, `truncate: true`, the same `num_ctx` and `keep_alive`).
 * API: https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion and
 * https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings
 */
import { performance } from 'node:perf_hooks';
import { Ollama, type Message, type Tool } from 'ollama';
import { z } from 'zod';
import { ModelCallError } from '../../errors/index.js';
import { newCallId } from '../call-id.js';
import type { ModelEntry } from '../catalog.js';
import { parseJsonAnswer } from '../parse-json-answer.js';
import { splitReasoning } from '../reasoning.js';
import type {
  ChatMessage,
  EmbeddingResult,
  ModelProvider,
  ModelRequest,
  ModelResponse,
} from '../types.js';
import { checkEmbeddings } from './check-embeddings.js';
import { toModelError } from './provider-errors.js';

/** The parts of an `/api/embed` answer the provider reads. */
const OllamaEmbedAnswer = z.object({
  embeddings: z.array(z.array(z.number())),
  prompt_eval_count: z.number().optional(),
});

/** Options of {@link OllamaProvider}. */
export interface OllamaProviderOptions {
  alias: string;
  entry: ModelEntry;
  /** fetch implementation (default: global fetch). */
  fetch?: typeof fetch;
}

/** Converts Tandem messages to Ollama's chat messages (tool results carry `tool_name`). */
export function toOllamaMessages(messages: readonly ChatMessage[]): Message[] {
  return messages.map((m): Message => {
    switch (m.role) {
      case 'assistant':
        return {
          role: 'assistant',
          content: m.content,
          ...(m.toolCalls?.length
            ? {
                tool_calls: m.toolCalls.map((c) => ({
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        };
      case 'tool':
        return { role: 'tool', content: m.content, tool_name: m.name };
      default:
        return { role: m.role, content: m.content };
    }
  });
}

/** See the module comment. One instance per alias; safe for concurrent calls. */
export class OllamaProvider implements ModelProvider {
  readonly alias: string;
  private readonly entry: ModelEntry;
  private readonly fetchImpl: typeof fetch;

  constructor(options: OllamaProviderOptions) {
    this.alias = options.alias;
    this.entry = options.entry;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const started = performance.now();
    const { signal } = request;
    const client = this.client(signal);
    try {
      const tools: Tool[] | undefined = request.tools?.map((t) => ({
        type: 'function',
        function: {
          name: t.name,
          description: t.description,
          parameters: t.parameters,
        },
      }));
      const res = await client.chat({
        model: this.entry.model,
        messages: toOllamaMessages(request.messages),
        stream: false,
        keep_alive: this.entry.keepAlive,
        options: {
          num_ctx: this.entry.contextSize,
          ...(request.maxTokens === undefined ? {} : { num_predict: request.maxTokens }),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.seed === undefined ? {} : { seed: request.seed }),
        },
        ...(request.jsonSchema ? { format: request.jsonSchema } : {}),
        ...(tools?.length ? { tools } : {}),
        ...(this.entry.reasoning ? { think: true } : {}),
      });
      const { text, reasoning } = splitReasoning(res.message.content, res.message.thinking ?? '');
      const response: ModelResponse = {
        text,
        reasoning,
        // Ollama gives calls no id; results are matched by id, so each call gets its own.
        toolCalls: (res.message.tool_calls ?? []).map((c) => ({
          id: newCallId(),
          name: c.function.name,
          arguments: c.function.arguments ?? {},
        })),
        ...(res.done_reason === 'length' ? { truncated: true } : {}),
        usage: { inputTokens: res.prompt_eval_count ?? 0, outputTokens: res.eval_count ?? 0 },
        latencyMs: performance.now() - started,
      };
      if (request.jsonSchema) {
        const json = parseJsonAnswer(text);
        if (json.ok) {
          response.json = json.value;
        }
      }
      return response;
    } catch (error) {
      throw this.failure(error, signal);
    }
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    const started = performance.now();
    let raw: unknown;
    try {
      raw = await this.client(signal).embed({
        model: this.entry.model,
        input: [...texts],
        truncate: true,
        keep_alive: this.entry.keepAlive,
        options: { num_ctx: this.entry.contextSize },
      });
    } catch (error) {
      throw this.failure(error, signal);
    }
    const res = OllamaEmbedAnswer.safeParse(raw);
    if (!res.success) {
      throw new ModelCallError(this.alias, 'the /api/embed answer has no embeddings list', false);
    }
    return {
      vectors: checkEmbeddings(this.alias, this.entry, texts, res.data.embeddings),
      inputTokens: res.data.prompt_eval_count ?? 0,
      latencyMs: performance.now() - started,
    };
  }

  /** A client per call: the package cannot abort a non-streamed request, so the signal goes into fetch. */
  private client(signal: AbortSignal | undefined): Ollama {
    return new Ollama({
      host: this.entry.endpoint ?? 'http://127.0.0.1:11434',
      headers: this.entry.headers,
      fetch: (input, init) => this.fetchImpl(input, { ...init, ...(signal ? { signal } : {}) }),
    });
  }

  /** The typed error of a failed call (the package's `ResponseError` carries `status_code`). */
  private failure(error: unknown, signal: AbortSignal | undefined): Error {
    const code = (error as { status_code?: unknown }).status_code;
    return toModelError(
      this.alias,
      error,
      typeof code === 'number' ? code : undefined,
      signal,
      Object.values(this.entry.headers),
    );
  }

  async close(): Promise<void> {
    // HTTP only; the Ollama server unloads models itself after keep_alive.
  }
}
