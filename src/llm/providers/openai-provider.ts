/**
 * The `openai` provider: any OpenAI-compatible `/chat/completions` server (vLLM, llama.cpp server,
 * LM Studio, OpenRouter, OpenAI) through the `openai` package v6 with the catalog's `baseURL`.
 * Structured output asks for `response_format: json_schema`; a server that refuses it (HTTP 400/422), or an
 * alias set to `structuredOutput: json_object`, gets `json_object` plus the schema in a system message
 * (the answer is validated by the manager either way). Reasoning comes from `reasoning_content` (vLLM,
 * DeepSeek), `reasoning` (OpenRouter) or `<think>` blocks, and is kept apart from the text.
 * Embedding aliases go through `/embeddings` with `encoding_format: float` said explicitly: left out, the
 * `openai` package asks for base64 and decodes it, which servers that only speak floats (older llama.cpp
 * servers, some proxies) answer with arrays the package then misreads.
 * API: https://platform.openai.com/docs/api-reference/chat/create and
 * https://platform.openai.com/docs/api-reference/embeddings/create
 */
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { z } from 'zod';
import { ModelCallError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import type { ModelEntry } from '../catalog.js';
import { newCallId } from '../call-id.js';
import { parseJsonAnswer } from '../parse-json-answer.js';
import { splitReasoning } from '../reasoning.js';
import { decodeArguments } from '../tool-calls/call-objects.js';
import { readJsonValue } from '../tool-calls/read-json-value.js';
import type {
  ChatMessage,
  EmbeddingResult,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ToolCall,
  ToolCallProblem,
} from '../types.js';
import { checkEmbeddings } from './check-embeddings.js';
import { toModelError } from './provider-errors.js';
import { countServerTokens } from './server-tokenizer.js';

/** The parts of an `/embeddings` answer the provider reads (entries may come in any order). */
const EmbeddingsAnswer = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number() }).partial().optional(),
});

/** Options of {@link OpenAiProvider}. */
export interface OpenAiProviderOptions {
  alias: string;
  entry: ModelEntry;
  logger?: Logger;
  /** fetch for the `/tokenize` endpoint (default: global fetch). */
  fetch?: typeof fetch;
}

/** Converts Tandem messages to OpenAI chat messages (tool call arguments as JSON text). */
export function toOpenAiMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    switch (m.role) {
      case 'assistant':
        return {
          role: 'assistant',
          content: m.content,
          ...(m.toolCalls?.length
            ? {
                tool_calls: m.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function' as const,
                  function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                })),
              }
            : {}),
        };
      case 'tool':
        return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
      default:
        return { role: m.role, content: m.content };
    }
  });
}

/**
 * The server's tool calls: arguments parsed (an object or a JSON-encoded object, as servers differ);
 * arguments that are not a JSON object become a problem instead of a call (`truncated` when the JSON
 * ends early, as when the answer hit the output limit). Calls without an id get one.
 */
function readToolCalls(
  raw: readonly { id?: string; type: string; function?: { name: string; arguments: string } }[],
): { calls: ToolCall[]; problems: ToolCallProblem[] } {
  const calls: ToolCall[] = [];
  const problems: ToolCallProblem[] = [];
  for (const c of raw) {
    if (c.type !== 'function' || c.function === undefined) {
      continue;
    }
    const { name, arguments: text } = c.function;
    const args = decodeArguments(text);
    if (args !== undefined) {
      calls.push({ id: c.id || newCallId(), name, arguments: args });
      continue;
    }
    const cut = /^\s*\{/.test(text) && readJsonValue(text.trim(), 0).status === 'incomplete';
    problems.push({
      kind: cut ? 'truncated' : 'invalid_json',
      dialect: 'native',
      message: cut
        ? `the arguments of ${name} end before their JSON is complete: the answer was cut off`
        : `the arguments of ${name} are not a JSON object`,
      excerpt: text.length > 200 ? `${text.slice(0, 200)}…` : text,
    });
  }
  return { calls, problems };
}

/** See the module comment. One instance per alias; safe for concurrent calls. */
export class OpenAiProvider implements ModelProvider {
  readonly alias: string;
  private readonly entry: ModelEntry;
  private readonly logger: Logger | undefined;
  private readonly fetchImpl: typeof fetch | undefined;
  /** Set once the server refused `json_schema`; later calls use `json_object` directly. */
  private jsonObjectOnly: boolean;

  constructor(options: OpenAiProviderOptions) {
    this.alias = options.alias;
    this.entry = options.entry;
    this.logger = options.logger;
    this.fetchImpl = options.fetch;
    if (options.entry.tokenizer !== 'estimate') {
      this.countTokens = (text, signal) =>
        countServerTokens(this.alias, this.entry, text, {
          ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}),
          ...(signal ? { signal } : {}),
        });
    }
    this.jsonObjectOnly = options.entry.structuredOutput === 'json_object';
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const started = performance.now();
    const schema = request.jsonSchema;
    if (schema === undefined || this.jsonObjectOnly) {
      return this.send(request, this.jsonObjectOnly ? 'json_object' : 'none', started);
    }
    try {
      return await this.send(request, 'json_schema', started);
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (status !== 400 && status !== 422) {
        throw error;
      }
      this.logger?.warn({ alias: this.alias, status }, 'json_schema refused; using json_object');
      this.jsonObjectOnly = true;
      return this.send(request, 'json_object', started);
    }
  }

  /** A client whose fetch keeps the body of an error answer in `failed` (one client per call: cheap). */
  private client(failed: { body?: string }): OpenAI {
    const base = this.fetchImpl ?? fetch;
    return new OpenAI({
      baseURL: this.entry.endpoint ?? null,
      // Local servers ignore the key, but the client insists on one.
      apiKey: this.entry.apiKey ?? 'not-needed',
      defaultHeaders: this.entry.headers,
      maxRetries: 0, // ModelManager retries, with its breaker and recording.
      timeout: this.entry.timeoutSeconds * 1_000,
      fetch: async (url: string | URL | Request, init?: RequestInit) => {
        const res = await base(url, init);
        if (!res.ok) {
          const text = await res
            .clone()
            .text()
            .catch(() => undefined);
          if (text !== undefined) {
            failed.body = text;
          }
        }
        return res;
      },
    });
  }

  /** Set when the alias names a server tokenizer (`tokenizer: llama-server | vllm`). */
  countTokens?: (text: string, signal?: AbortSignal) => Promise<number>;

  async close(): Promise<void> {
    // HTTP only.
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    const started = performance.now();
    const failed: { body?: string } = {};
    let raw: unknown;
    try {
      raw = await this.client(failed).embeddings.create(
        { model: this.entry.model, input: [...texts], encoding_format: 'float' },
        signal ? { signal } : {},
      );
    } catch (error) {
      throw this.failure(error, signal, failed.body);
    }
    const res = EmbeddingsAnswer.safeParse(raw);
    if (!res.success) {
      throw new ModelCallError(
        this.alias,
        'the /embeddings answer has no list of embeddings',
        false,
      );
    }
    const ordered = [...res.data.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    return {
      vectors: checkEmbeddings(this.alias, this.entry, texts, ordered),
      inputTokens: res.data.usage?.prompt_tokens ?? 0,
      latencyMs: performance.now() - started,
    };
  }

  /** The typed error of a failed call, the alias's credentials redacted. */
  private failure(error: unknown, signal: AbortSignal | undefined, body: string | undefined) {
    const status = (error as { status?: unknown }).status;
    return toModelError(
      this.alias,
      error,
      typeof status === 'number' ? status : undefined,
      signal,
      [...(this.entry.apiKey ? [this.entry.apiKey] : []), ...Object.values(this.entry.headers)],
      body,
    );
  }

  private async send(
    request: ModelRequest,
    mode: 'none' | 'json_schema' | 'json_object',
    started: number,
  ): Promise<ModelResponse> {
    const messages = toOpenAiMessages(request.messages);
    const schema = request.jsonSchema;
    if (mode === 'json_object' && schema) {
      messages.unshift({
        role: 'system',
        content: `Answer with one JSON value that matches this JSON Schema:\n${JSON.stringify(schema)}`,
      });
    }
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.entry.model,
      messages,
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(request.tools?.length
        ? {
            tools: request.tools.map((t) => ({
              type: 'function' as const,
              function: { name: t.name, description: t.description, parameters: t.parameters },
            })),
          }
        : {}),
    };
    if (mode === 'json_schema' && schema) {
      body.response_format = {
        type: 'json_schema',
        json_schema: { name: 'answer', schema, strict: false },
      };
    } else if (mode === 'json_object') {
      body.response_format = { type: 'json_object' };
    }
    const { signal } = request;
    let res: OpenAI.Chat.Completions.ChatCompletion;
    // The error body as the server sent it: the client drops bodies without an `error` key (vLLM's
    // `{"object": "error", "message": …}`), and the message is what says "maximum context length".
    const failed: { body?: string } = {};
    try {
      res = await this.client(failed).chat.completions.create(body, signal ? { signal } : {});
    } catch (error) {
      // The typed error keeps the status visible to complete()'s json_schema fallback.
      throw this.failure(error, signal, failed.body);
    }
    const message = res.choices[0]?.message;
    const extra = message as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
    const serverReasoning =
      (typeof extra?.reasoning_content === 'string' && extra.reasoning_content) ||
      (typeof extra?.reasoning === 'string' && extra.reasoning) ||
      '';
    const { text, reasoning } = splitReasoning(message?.content ?? '', serverReasoning);
    const { calls, problems } = readToolCalls(message?.tool_calls ?? []);
    const response: ModelResponse = {
      text,
      reasoning,
      toolCalls: calls,
      ...(problems.length > 0 ? { toolCallProblems: problems } : {}),
      ...(res.choices[0]?.finish_reason === 'length' ? { truncated: true } : {}),
      usage: {
        inputTokens: res.usage?.prompt_tokens ?? 0,
        outputTokens: res.usage?.completion_tokens ?? 0,
      },
      latencyMs: performance.now() - started,
    };
    if (schema) {
      const json = parseJsonAnswer(text);
      if (json.ok) {
        response.json = json.value;
      }
    }
    return response;
  }
}
