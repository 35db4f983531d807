/**
 * The model contract: one request/response shape for every provider (Ollama, llama.cpp, OpenAI-compatible,
 * scripted). Agents call models only through `ModelManager`, which adds policy, budgets and recording.
 */
import type { Role } from '../config/repo-policy.js';

/** A chat message. `tool` messages answer a tool call by id. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

/** A tool the model may call; `parameters` is a JSON Schema object. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** A tool call the model made. `arguments` is parsed JSON (an object). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/** Token usage of one call. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** One model request as a provider receives it. */
export interface ModelRequest {
  messages: ChatMessage[];
  /** JSON Schema the answer must match (structured output). */
  jsonSchema?: Record<string, unknown>;
  tools?: ToolDefinition[];
  /** Cap on output tokens. */
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /** Role making the call; set by `ModelManager`. Only the `scripted` provider looks at it (for matching). */
  role?: Role;
  /** Free label of the agent step (e.g. `write-test`, `green`); for logs and scripted matching only. */
  step?: string;
  /**
   * Identity of the conversation this request continues (the pair engine: one phase attempt,
   * `<run key>/<phase>-<cycle>/<escalations>.<attempt>`), stable when a retried or restarted job
   * resumes that attempt from its checkpoint. With the turn (assistant messages so far) it names one
   * model turn; the `scripted` provider answers a repeated turn as it did the first time.
   */
  conversation?: string;
}

/** One provider answer. `text` never contains reasoning; that is in `reasoning`. */
export interface ModelResponse {
  text: string;
  /** Parsed JSON of `text` when a schema was requested and the text was valid JSON (not yet schema-validated). */
  json?: unknown;
  toolCalls: ToolCall[];
  /** Reasoning kept apart from the answer (`<think>` blocks, Ollama `thinking`), or empty. */
  reasoning: string;
  usage: Usage;
  /** Wall-clock latency of the provider call in ms. */
  latencyMs: number;
}

/** A model provider bound to one catalog alias. */
export interface ModelProvider {
  readonly alias: string;
  complete(request: ModelRequest): Promise<ModelResponse>;
  /** Releases resources (unloads embedded models). */
  close(): Promise<void>;
}

/** Who is calling, for budgets and the `model_calls` record. */
export interface CallContext {
  role: Role;
  repositoryId?: number;
  ticketId?: number;
  runId?: number;
  /** Lower runs first when callers wait for a concurrency slot (BullMQ convention: 1 is highest). */
  priority?: number;
}
