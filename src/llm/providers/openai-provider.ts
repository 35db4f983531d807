/**
 * The `openai` provider: any OpenAI-compatible `/chat/completions` server (vLLM, llama.cpp server,
 * LM Studio, OpenRouter, OpenAI) through the `openai` package v6 with the catalog's `baseURL`.
 * Structured output asks for `response_format: json_schema`; a server that refuses it (HTTP 400/422), or an
 * alias set to `structuredOutput: json_object`, gets `json_object` plus the schema in a system message
 * (the answer is validated by the manager either way). Reasoning comes from `reasoning_content` (vLLM,
 * DeepSeek), `reasoning` (OpenRouter) or `<think>` blocks, and is kept apart from the text.
 * API: https://platform.openai.com/docs/api-reference/chat/create
 */
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { Logger } from '../../log/logger.js';
import type { ModelEntry } from '../catalog.js';
import { parseJsonAnswer } from '../parse-json-answer.js';
import { splitReasoning } from '../reasoning.js';
import type {
  ChatMessage,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ToolCall,
} from '../types.js';
import { toModelError } from './provider-errors.js';

/** Options of {@link OpenAiProvider}. */
export interface OpenAiProviderOptions {
  alias: string;
  entry: ModelEntry;
  logger?: Logger;
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

/** Parses tool-call arguments; text that is not a JSON object is kept as `{ _unparsed: text }`. */
function parseArguments(text: string): Record<string, unknown> {
  const parsed = parseJsonAnswer(text || '{}');
  return parsed.ok &&
    typeof parsed.value === 'object' &&
    parsed.value !== null &&
    !Array.isArray(parsed.value)
    ? (parsed.value as Record<string, unknown>)
    : { _unparsed: text };
}

/** See the module comment. One instance per alias; safe for concurrent calls. */
export class OpenAiProvider implements ModelProvider {
  readonly alias: string;
  private readonly entry: ModelEntry;
  private readonly client: OpenAI;
  private readonly logger: Logger | undefined;
  /** Set once the server refused `json_schema`; later calls use `json_object` directly. */
  private jsonObjectOnly: boolean;

  constructor(options: OpenAiProviderOptions) {
    this.alias = options.alias;
    this.entry = options.entry;
    this.logger = options.logger;
    this.jsonObjectOnly = options.entry.structuredOutput === 'json_object';
    this.client = new OpenAI({
      baseURL: options.entry.endpoint ?? null,
      // Local servers ignore the key, but the client insists on one.
      apiKey: options.entry.apiKey ?? 'not-needed',
      defaultHeaders: options.entry.headers,
      maxRetries: 0, // ModelManager retries, with its breaker and recording.
      timeout: options.entry.timeoutSeconds * 1_000,
    });
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

  async close(): Promise<void> {
    // HTTP only.
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
    try {
      res = await this.client.chat.completions.create(body, signal ? { signal } : {});
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const typed = toModelError(
        this.alias,
        error,
        typeof status === 'number' ? status : undefined,
        signal,
        [...(this.entry.apiKey ? [this.entry.apiKey] : []), ...Object.values(this.entry.headers)],
      );
      // Keep the status visible to complete()'s json_schema fallback.
      throw typed;
    }
    const message = res.choices[0]?.message;
    const extra = message as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
    const serverReasoning =
      (typeof extra?.reasoning_content === 'string' && extra.reasoning_content) ||
      (typeof extra?.reasoning === 'string' && extra.reasoning) ||
      '';
    const { text, reasoning } = splitReasoning(message?.content ?? '', serverReasoning);
    const toolCalls: ToolCall[] = (message?.tool_calls ?? []).flatMap((c) =>
      c.type === 'function'
        ? [{ id: c.id, name: c.function.name, arguments: parseArguments(c.function.arguments) }]
        : [],
    );
    const response: ModelResponse = {
      text,
      reasoning,
      toolCalls,
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
