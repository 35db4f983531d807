/**
 * The `llama-cpp` provider: a GGUF model embedded in the worker through node-llama-cpp.
 * - The model is a file path or an `hf:` reference, downloaded into the catalog's `modelsDir` on first use
 *   (progress logged every 10 %, see `resolveGgufFile`); a download failure is a `ModelUnavailableError`
 *   and leaves no partial file behind.
 * - Structured output uses a grammar built from the JSON Schema (`llama.createGrammarForJsonSchema`),
 *   so the answer is always syntactically valid JSON of the schema's shape.
 * - Tools (without a schema) are offered as node-llama-cpp chat functions; calls are returned, not run.
 * - The history is never shortened here: a prompt that would make node-llama-cpp shift the context
 *   (silently drop the oldest messages) fails with `ContextLengthExceededError`; `ModelSession` condenses.
 * - Calls to the loaded model are spread over `contextSequences` sequences of one context; more calls wait.
 * - After `idleTtlSeconds` without calls the model and its context are disposed; the next call reloads.
 * - An alias of `kind: embedding` loads an embedding context instead (`model.createEmbeddingContext`) and
 *   answers `embed` through `getEmbeddingFor`, one text at a time (node-llama-cpp serialises them); a text
 *   longer than the context is cut to fit, as Ollama's `truncate: true` does.
 * Docs: https://node-llama-cpp.withcat.ai/guide/ (LlamaChat, grammar, resolveModelFile, embedding).
 */
import { performance } from 'node:perf_hooks';
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  LlamaChat,
  GbnfJsonSchema,
  LLamaChatGenerateResponseOptions,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaModel,
} from 'node-llama-cpp';
import {
  ContextLengthExceededError,
  ModelCallAbortedError,
  ModelCallError,
  ModelUnavailableError,
  TandemError,
} from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import { newCallId } from '../call-id.js';
import type { ModelEntry } from '../catalog.js';
import { parseJsonAnswer } from '../parse-json-answer.js';
import { splitReasoning } from '../reasoning.js';
import type { EmbeddingResult, ModelProvider, ModelRequest, ModelResponse } from '../types.js';
import { checkEmbeddings } from './check-embeddings.js';
import { grammarSchema, toChatHistory } from './llama-chat-history.js';
import type { LlamaRuntime } from './llama-runtime.js';
import { resolveGgufFile } from './resolve-gguf-file.js';

export { toChatHistory } from './llama-chat-history.js';

/** `{ [key]: value }`, or `{}` when value is undefined (exactOptionalPropertyTypes). */
const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** Options of {@link LlamaCppProvider}. */
export interface LlamaCppProviderOptions {
  alias: string;
  entry: ModelEntry;
  runtime: LlamaRuntime;
  /** Download directory for `hf:` models. */
  modelsDir: string;
  /** Hugging Face endpoint (mirror) for `hf:` downloads; default node-llama-cpp's (huggingface.co). */
  huggingFaceEndpoint?: string;
  logger?: Logger;
  /** How long to wait for the Hugging Face endpoint before a download, in ms (default 10 000). */
  probeTimeoutMs?: number;
  /** Cancel a download when no new byte arrived for this long, in ms (default 60 000). */
  stallTimeoutMs?: number;
  /** Download progress (bytes); default: a log line every 10 %. */
  onDownloadProgress?: (status: { downloadedSize: number; totalSize: number }) => void;
}

interface Loaded {
  model: LlamaModel;
  /** The chat context (`kind: chat`). */
  context?: LlamaContext;
  free: LlamaContextSequence[];
  /** The embedding context (`kind: embedding`) and the most tokens one input may have in it. */
  embedding?: { context: LlamaEmbeddingContext; maxTokens: number };
}

/** See the module comment. */
export class LlamaCppProvider implements ModelProvider {
  readonly alias: string;
  private readonly options: LlamaCppProviderOptions;
  private loaded: Promise<Loaded> | undefined;
  private waiting: ((s: LlamaContextSequence) => void)[] = [];
  private active = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(options: LlamaCppProviderOptions) {
    this.alias = options.alias;
    this.options = options;
  }

  /** True while the model is loaded (for tests of the idle TTL and for metrics). */
  get isLoaded(): boolean {
    return this.loaded !== undefined;
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const { signal } = request;
    if (signal?.aborted) {
      throw new ModelCallAbortedError(this.alias, { cause: signal.reason });
    }
    if (this.options.entry.kind === 'embedding') {
      throw new ModelCallError(
        this.alias,
        'is an embedding model (kind: embedding): it cannot chat',
        false,
      );
    }
    this.active += 1;
    clearTimeout(this.idleTimer);
    let sequence: LlamaContextSequence | undefined;
    let state: Loaded | undefined;
    try {
      state = await this.load();
      sequence = await this.takeSequence(state);
      return await this.generate(sequence, request);
    } finally {
      if (state && sequence) {
        this.giveSequence(state, sequence);
      }
      this.active -= 1;
      this.armIdleTimer();
    }
  }

  /** Embeddings of `texts`, one vector per text (loads the model and its embedding context if needed). */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    if (this.options.entry.kind !== 'embedding') {
      throw new ModelCallError(
        this.alias,
        'is a chat model: embedding needs kind: embedding',
        false,
      );
    }
    const started = performance.now();
    this.active += 1;
    clearTimeout(this.idleTimer);
    try {
      const { model, embedding } = await this.load();
      if (embedding === undefined) {
        throw new Error('unreachable: an embedding alias loads an embedding context');
      }
      const vectors: (readonly number[])[] = [];
      let inputTokens = 0;
      for (const text of texts) {
        if (signal?.aborted) {
          throw new ModelCallAbortedError(this.alias, { cause: signal.reason });
        }
        const tokens = model.tokenize(text);
        const extra = embedding.context.calculateInputLength(tokens) - tokens.length;
        const kept = tokens.slice(0, Math.max(1, embedding.maxTokens - extra));
        inputTokens += kept.length;
        vectors.push((await embedding.context.getEmbeddingFor(kept)).vector);
      }
      return {
        vectors: checkEmbeddings(this.alias, this.options.entry, texts, vectors),
        inputTokens,
        latencyMs: performance.now() - started,
      };
    } catch (error) {
      if (error instanceof TandemError) {
        throw error;
      }
      throw new ModelCallError(
        this.alias,
        `embedding failed: ${error instanceof Error ? error.message : String(error)}`,
        false,
        undefined,
        { cause: error },
      );
    } finally {
      this.active -= 1;
      this.armIdleTimer();
    }
  }

  /** Tokens of `text` by the model's tokenizer (loads the model if needed). */
  async countTokens(text: string): Promise<number> {
    const { model } = await this.load();
    return model.tokenize(text).length;
  }

  /** Unloads the model now (the next call loads it again). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.unload();
  }

  private async generate(
    sequence: LlamaContextSequence,
    request: ModelRequest,
  ): Promise<ModelResponse> {
    const started = performance.now();
    const { LlamaChat } = await import('node-llama-cpp');
    const llama = await this.options.runtime.get();
    const meter = sequence.tokenMeter;
    const before = { input: meter.usedInputTokens, output: meter.usedOutputTokens };
    const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      const grammar = request.jsonSchema
        ? await llama.createGrammarForJsonSchema(grammarSchema(request.jsonSchema) as never)
        : undefined;
      const functions: ChatModelFunctions | undefined =
        !grammar && request.tools?.length
          ? Object.fromEntries(
              request.tools.map((t) => [
                t.name,
                {
                  description: t.description,
                  params: grammarSchema(t.parameters) as GbnfJsonSchema,
                },
              ]),
            )
          : undefined;
      const history = toChatHistory(request.messages);
      history.push({ type: 'model', response: [] });
      this.checkContext(chat, sequence, history, functions, request.maxTokens);
      const options: LLamaChatGenerateResponseOptions<ChatModelFunctions> = {
        maxTokens: request.maxTokens ?? this.options.entry.maxOutputTokens,
      };
      if (grammar) {
        options.grammar = grammar;
      }
      if (functions) {
        options.functions = functions;
      }
      if (request.temperature !== undefined) {
        options.temperature = request.temperature;
      }
      if (request.seed !== undefined) {
        options.seed = request.seed;
      }
      if (request.signal) {
        options.signal = request.signal;
      }
      const res = await chat.generateResponse(history, options);
      const thought = res.fullResponse
        .flatMap((p) => (typeof p !== 'string' && p.segmentType === 'thought' ? [p.text] : []))
        .join('\n');
      const { text, reasoning } = splitReasoning(res.response, thought);
      const response: ModelResponse = {
        text,
        reasoning,
        // node-llama-cpp gives calls no id; results are matched by id, so each call gets its own
        // (an index would repeat on every turn and match every earlier call to the latest result).
        toolCalls: (res.functionCalls ?? []).map((c) => ({
          id: newCallId(),
          name: c.functionName,
          arguments: c.params ?? {},
        })),
        ...(res.metadata.stopReason === 'maxTokens' ? { truncated: true } : {}),
        usage: {
          inputTokens: meter.usedInputTokens - before.input,
          outputTokens: meter.usedOutputTokens - before.output,
        },
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
      if (request.signal?.aborted) {
        throw new ModelCallAbortedError(this.alias, { cause: error });
      }
      if (error instanceof ContextLengthExceededError) {
        throw error;
      }
      throw new ModelCallError(
        this.alias,
        `generation failed: ${error instanceof Error ? error.message : String(error)}`,
        false,
        undefined,
        { cause: error },
      );
    } finally {
      chat.dispose({ disposeSequence: false });
      // The next call brings its whole history: start each call from an empty sequence.
      await sequence.clearHistory();
    }
  }

  /**
   * Refuses a prompt that would not leave `maxTokens` free in the context: node-llama-cpp would
   * otherwise shift the context, silently dropping the oldest messages (the task first), and it ignores a
   * context-shift strategy that throws. The prompt is counted as the chat wrapper renders it.
   * @throws ContextLengthExceededError with the prompt's token count
   */
  private checkContext(
    chat: LlamaChat,
    sequence: LlamaContextSequence,
    history: ChatHistoryItem[],
    functions: ChatModelFunctions | undefined,
    maxTokens: number | undefined,
  ): void {
    const { contextText } = chat.chatWrapper.generateContextState({
      chatHistory: history,
      ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}),
    });
    const promptTokens = contextText.tokenize(sequence.model.tokenizer).length;
    const { contextSize } = this.options.entry;
    const answer = maxTokens ?? this.options.entry.maxOutputTokens;
    if (promptTokens + answer > contextSize) {
      throw new ContextLengthExceededError(
        this.alias,
        `a prompt of ${promptTokens} tokens and an answer of up to ${answer} do not fit the context of ${contextSize} tokens`,
        { promptTokens, contextTokens: contextSize },
      );
    }
  }

  private load(): Promise<Loaded> {
    this.loaded ??= this.doLoad();
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }

  private async doLoad(): Promise<Loaded> {
    const { entry, logger } = this.options;
    const modelPath = await resolveGgufFile({
      alias: this.alias,
      model: entry.model,
      modelsDir: this.options.modelsDir,
      ...optional('huggingFaceEndpoint', this.options.huggingFaceEndpoint),
      ...optional('probeTimeoutMs', this.options.probeTimeoutMs),
      ...optional('stallTimeoutMs', this.options.stallTimeoutMs),
      ...optional('onDownloadProgress', this.options.onDownloadProgress),
      ...optional('logger', this.options.logger),
    });
    const llama = await this.options.runtime.get();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath });
    } catch (error) {
      throw new ModelUnavailableError(
        this.alias,
        entry.model,
        'the GGUF file could not be loaded',
        {
          cause: error,
        },
      );
    }
    if (entry.kind === 'embedding') {
      // The context may not exceed what the model was trained on; an input must stay below it.
      const contextSize = Math.min(entry.contextSize, model.trainContextSize);
      const context = await model.createEmbeddingContext({
        contextSize,
        ...(entry.threads > 0 ? { threads: entry.threads } : {}),
      });
      logger?.info({ alias: this.alias, model: entry.model }, 'llama.cpp embedding model loaded');
      return { model, free: [], embedding: { context, maxTokens: contextSize - 1 } };
    }
    const context = await model.createContext({
      contextSize: entry.contextSize,
      sequences: entry.contextSequences,
      ...(entry.threads > 0 ? { threads: entry.threads } : {}),
    });
    const free: LlamaContextSequence[] = [];
    for (let i = 0; i < entry.contextSequences; i += 1) {
      free.push(context.getSequence());
    }
    logger?.info({ alias: this.alias, model: entry.model }, 'llama.cpp model loaded');
    return { model, context, free };
  }

  private takeSequence(state: Loaded): Promise<LlamaContextSequence> {
    const s = state.free.pop();
    if (s) {
      return Promise.resolve(s);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private giveSequence(state: Loaded, sequence: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next) {
      next(sequence);
    } else {
      state.free.push(sequence);
    }
  }

  private armIdleTimer(): void {
    if (this.active > 0 || this.loaded === undefined) {
      return;
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.active === 0) {
        this.options.logger?.info({ alias: this.alias }, 'llama.cpp model idle: unloading');
        void this.unload();
      }
    }, this.options.entry.idleTtlSeconds * 1_000);
    this.idleTimer.unref();
  }

  private async unload(): Promise<void> {
    const pending = this.loaded;
    this.loaded = undefined;
    if (pending === undefined) {
      return;
    }
    try {
      const state = await pending;
      await state.context?.dispose();
      await state.embedding?.context.dispose();
      await state.model.dispose();
    } catch {
      // A load that failed has nothing to dispose.
    }
  }
}
