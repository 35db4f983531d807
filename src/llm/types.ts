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

/**
 * A tool call the model made. `arguments` is parsed JSON (an object). `id` is unique within its
 * conversation (results are matched to calls by id), whether the server gave it or Tandem did.
 */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * How a tool call was written: `native` (the server's own `tool_calls`), or a text format open models are
 * trained on (see `parseToolCalls`): `hermes` (`<tool_call>{…}</tool_call>`, Hermes and Qwen 2.5/3),
 * `qwen3-coder` (`<function=NAME><parameter=KEY>…`), `llama` (Llama 3.x JSON with `parameters`, after
 * `<|python_tag|>` or in `<function=NAME>{…}</function>`), `mistral` (`[TOOL_CALLS]…`), `deepseek`
 * (`<｜tool▁calls▁begin｜>…`), `json` (a bare or fenced `{"name", "arguments"}` object or list).
 */
export type ToolCallDialect =
  'native' | 'hermes' | 'qwen3-coder' | 'llama' | 'mistral' | 'deepseek' | 'json';

/** Something in an answer that was meant as a tool call but could not be read. */
export interface ToolCallProblem {
  /** `truncated`: the answer ends inside the call (cut off); `invalid_json`: the call is malformed. */
  kind: 'truncated' | 'invalid_json';
  dialect: ToolCallDialect;
  /** What was wrong, in words fit to show the model. */
  message: string;
  /** The start of the offending text (at most 200 characters). */
  excerpt: string;
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
  /**
   * Sampling temperature (0 = greedy). `ModelSession` fills in the alias's catalog `temperature` when the
   * caller gives none; callers raise it on retries to get a different answer.
   */
  temperature?: number;
  /** Sampling seed, for reproducible answers where the server honours it (default: the alias's `seed`). */
  seed?: number;
  /**
   * Tool results kept in full: older ones are collapsed to a one-line summary before the request is sent
   * (SWE-agent keeps only the last few observations). Undefined keeps every result in full.
   */
  keepToolResults?: number;
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
  /**
   * Assistant turns before this request in its full conversation. Set by `ModelSession` before the
   * history is condensed to fit the context (which drops turns), so that the `scripted` provider still
   * names turns by their place in the whole conversation.
   */
  turn?: number;
}

/** One provider answer. `text` never contains reasoning; that is in `reasoning`. */
export interface ModelResponse {
  text: string;
  /** Parsed JSON of `text` when a schema was requested and the text was valid JSON (not yet schema-validated). */
  json?: unknown;
  toolCalls: ToolCall[];
  /** Tool calls written as text that could not be read (truncated or malformed); absent when none. */
  toolCallProblems?: ToolCallProblem[];
  /** True when the answer stopped at the output token limit (`maxTokens`) rather than ending itself. */
  truncated?: boolean;
  /** Reasoning kept apart from the answer (`<think>` blocks, Ollama `thinking`), or empty. */
  reasoning: string;
  usage: Usage;
  /** Wall-clock latency of the provider call in ms. */
  latencyMs: number;
}

/**
 * One embedding call's answer: one vector per input text, in input order, each of the alias's catalog
 * `dimensions` (checked by the provider).
 */
export interface EmbeddingResult {
  vectors: number[][];
  /** Input tokens the server reported (llama-cpp: counted by the model's tokenizer); 0 when unknown. */
  inputTokens: number;
  /** Wall-clock latency of the provider call in ms. */
  latencyMs: number;
}

/** A model provider bound to one catalog alias. */
export interface ModelProvider {
  readonly alias: string;
  complete(request: ModelRequest): Promise<ModelResponse>;
  /**
   * Embeddings of `texts` (catalog aliases with `kind: embedding`): Ollama `/api/embed`, an
   * OpenAI-compatible `/v1/embeddings`, or a node-llama-cpp embedding context. Absent on providers that
   * cannot embed (`scripted`).
   * @throws ModelCallError (transient or not, as for `complete`), ModelCallAbortedError,
   *   EmbeddingMismatchError when the model answers with another width than the catalog's `dimensions`
   */
  embed?(texts: readonly string[], signal?: AbortSignal): Promise<EmbeddingResult>;
  /**
   * Tokens of `text` by the model's own tokenizer (node-llama-cpp's `tokenize`, a server's `/tokenize`),
   * for providers that have one; without it token counts are a calibrated estimate.
   */
  countTokens?(text: string, signal?: AbortSignal): Promise<number>;
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
