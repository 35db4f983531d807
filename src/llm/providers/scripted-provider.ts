/**
 * The `scripted` provider: replays a script of responses, deterministically. For tests and demos only;
 * the catalog offers it only when an operator lists it explicitly. The script format is documented in
 * docs/models.md ("Scripted provider").
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { Role } from '../../config/repo-policy.js';
import {
  ConfigError,
  ModelCallAbortedError,
  ModelCallError,
  ScriptExhaustedError,
} from '../../errors/index.js';
import { abortableSleep } from '../abortable-sleep.js';
import { parseJsonAnswer } from '../parse-json-answer.js';
import { splitReasoning } from '../reasoning.js';
import type {
  ChatMessage,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ToolCall,
} from '../types.js';

/** Which requests a scripted response answers; every given field must match. */
export const ScriptMatch = z.strictObject({
  role: Role.optional(),
  /** Equal to `ModelRequest.step`. */
  step: z.string().optional(),
  /** Equal to the alias the provider serves (one script file shared by several aliases). */
  alias: z.string().optional(),
  /** Substring of the last message's content (the latest user prompt or tool result). */
  contains: z.string().optional(),
});
export type ScriptMatch = z.infer<typeof ScriptMatch>;

/** A tool call in a script; `id` defaults to `call_<response index>_<call index>`. */
export const ScriptedToolCall = z.strictObject({
  id: z.string().min(1).optional(),
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

/** One scripted answer (or failure). */
export const ScriptedResponse = z
  .strictObject({
    /** Omitted: answers any request. */
    match: ScriptMatch.optional(),
    /** Raw answer text; `<think>…</think>` in it is split off as reasoning, like a real model's. */
    text: z.string().optional(),
    /** Answer given as a value; sent as its JSON text. */
    json: z.unknown().optional(),
    toolCalls: z.array(ScriptedToolCall).default([]),
    /** Reasoning returned apart from the answer (as Ollama's `thinking`). */
    reasoning: z.string().default(''),
    /** Reported usage; each missing count is estimated as characters / 4, rounded up. */
    usage: z
      .strictObject({
        inputTokens: z.number().int().min(0).optional(),
        outputTokens: z.number().int().min(0).optional(),
      })
      .default({}),
    /** The answer stopped at the output limit (as a real server reports with finish reason `length`). */
    truncated: z.boolean().default(false),
    /** Simulated provider latency in ms (abortable). */
    latencyMs: z.number().int().min(0).max(600_000).default(0),
    /** Fail instead of answering: a `ModelCallError` (retried by the manager when `transient`). */
    error: z
      .strictObject({
        message: z.string().default('scripted failure'),
        transient: z.boolean().default(true),
        status: z.number().int().min(100).max(599).optional(),
      })
      .optional(),
    /** How many requests this entry answers before it is used up; `always` never runs out. */
    times: z.union([z.number().int().min(1), z.literal('always')]).default(1),
    /** Free comment, ignored. */
    note: z.string().optional(),
  })
  .refine((r) => !(r.text !== undefined && r.json !== undefined), {
    message: 'give either text or json, not both',
  });
export type ScriptedResponse = z.infer<typeof ScriptedResponse>;

/** A script file: a list of responses, or `{ responses: [...] }`. */
export const ModelScript = z.union([
  z.array(ScriptedResponse),
  z.strictObject({ responses: z.array(ScriptedResponse) }).transform((s) => s.responses),
]);
export type ModelScript = z.infer<typeof ModelScript>;

/**
 * Parses a script from YAML or JSON text. Throws `ConfigError` (source = `source`) listing every problem
 * with its dotted path and line.
 */
export function parseModelScript(text: string, source = 'model script'): ScriptedResponse[] {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: '', message: e.message, line: e.linePos?.[0]?.line ?? 0 })),
    );
  }
  const parsed = ModelScript.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((i) => ({
        path: i.path
          .map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`))
          .join(''),
        message: i.message,
      })),
    );
  }
  return parsed.data;
}

/** Reads and parses a script file (YAML or JSON). Throws `ConfigError` when unreadable or invalid. */
export async function loadModelScript(path: string): Promise<ScriptedResponse[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [{ path: '', message: 'cannot read the script file' }], {
      cause: error,
    });
  }
  return parseModelScript(text, path);
}

/** Options of {@link ScriptedProvider}. */
export interface ScriptedProviderOptions {
  alias: string;
  responses: readonly ScriptedResponse[];
}

const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

const messageChars = (m: ChatMessage): number =>
  m.content.length + ('toolCalls' in m && m.toolCalls ? JSON.stringify(m.toolCalls).length : 0);

/**
 * Replays scripted responses. For each request the first entry, in file order, that still has uses left
 * and whose `match` fits the request answers it. No fitting entry → `ScriptExhaustedError`.
 * `received` keeps every request (without its signal) for assertions.
 *
 * Replays are deterministic, as with a temperature-0 model: a request that carries
 * `ModelRequest.conversation` names one turn (the conversation and the number of assistant messages in
 * it), and a turn answered before gets the same entry again without using it up. A pair job retried by
 * BullMQ or restarted after a crash resumes its phase attempt from the checkpoint and so hears what it
 * heard the first time, instead of the script's next entries. Failures (`error` entries) are not
 * remembered, so a retried call moves on to the next entry.
 */
export class ScriptedProvider implements ModelProvider {
  readonly alias: string;
  readonly received: Omit<ModelRequest, 'signal'>[] = [];
  private readonly responses: readonly ScriptedResponse[];
  private readonly remaining: (number | 'always')[];
  /** Entry index that answered each conversation turn (`<conversation>#<turn>`). */
  private readonly turns = new Map<string, number>();

  constructor(options: ScriptedProviderOptions) {
    this.alias = options.alias;
    this.responses = options.responses;
    this.remaining = options.responses.map((r) => r.times);
  }

  /** How many entries still have uses left (entries with `times: always` count as one). */
  get pending(): number {
    return this.remaining.filter((r) => r === 'always' || r > 0).length;
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const started = performance.now();
    const { signal, ...rest } = request;
    this.received.push(rest);
    if (signal?.aborted) {
      throw new ModelCallAbortedError(this.alias, { cause: signal.reason });
    }
    const turn = turnKey(request);
    const seen = turn === undefined ? undefined : this.turns.get(turn);
    const index = seen ?? this.findEntry(request);
    const entry = this.responses[index];
    if (entry === undefined) {
      throw new ScriptExhaustedError(this.alias, describe(request));
    }
    const left = this.remaining[index];
    if (seen === undefined && typeof left === 'number') {
      this.remaining[index] = left - 1;
    }
    if (turn !== undefined && entry.error === undefined) {
      this.turns.set(turn, index);
    }
    if (entry.latencyMs > 0) {
      try {
        await abortableSleep(entry.latencyMs, signal);
      } catch (error) {
        throw new ModelCallAbortedError(this.alias, { cause: error });
      }
    }
    if (entry.error) {
      throw new ModelCallError(
        this.alias,
        entry.error.message,
        entry.error.transient,
        entry.error.status,
      );
    }
    const raw = entry.json === undefined ? (entry.text ?? '') : JSON.stringify(entry.json);
    const { text, reasoning } = splitReasoning(raw, entry.reasoning);
    const toolCalls: ToolCall[] = entry.toolCalls.map((c, i) => ({
      id: c.id ?? `call_${index}_${i}`,
      name: c.name,
      arguments: c.arguments,
    }));
    const response: ModelResponse = {
      text,
      toolCalls,
      reasoning,
      usage: {
        inputTokens:
          entry.usage.inputTokens ??
          estimateTokens(request.messages.reduce((n, m) => n + messageChars(m), 0)),
        outputTokens:
          entry.usage.outputTokens ??
          estimateTokens(
            raw.length + entry.reasoning.length + JSON.stringify(toolCalls).length - 2,
          ),
      },
      latencyMs: performance.now() - started,
      ...(entry.truncated ? { truncated: true } : {}),
    };
    if (request.jsonSchema) {
      const json = parseJsonAnswer(text);
      if (json.ok) {
        response.json = json.value;
      }
    }
    return response;
  }

  async close(): Promise<void> {
    // Nothing to release.
  }

  private findEntry(request: ModelRequest): number {
    const last = request.messages.at(-1)?.content ?? '';
    return this.responses.findIndex((r, i) => {
      const left = this.remaining[i];
      if (left !== 'always' && (left ?? 0) <= 0) {
        return false;
      }
      const m = r.match;
      return (
        m === undefined ||
        ((m.role === undefined || m.role === request.role) &&
          (m.step === undefined || m.step === request.step) &&
          (m.alias === undefined || m.alias === this.alias) &&
          (m.contains === undefined || last.includes(m.contains)))
      );
    });
  }
}

/**
 * `<conversation>#<assistant turns so far>` (`request.turn` when the session condensed the history, else
 * counted), or undefined for a request outside a conversation.
 */
function turnKey(request: ModelRequest): string | undefined {
  if (request.conversation === undefined) {
    return undefined;
  }
  const turn = request.turn ?? request.messages.filter((m) => m.role === 'assistant').length;
  return `${request.conversation}#${turn}`;
}

function describe(request: ModelRequest): string {
  const parts = [`role=${request.role ?? '-'}`, `step=${request.step ?? '-'}`];
  return `${parts.join(' ')} (${request.messages.length} messages)`;
}
