/**
 * One agent phase attempt: the role's model answers with tool calls (executed, results sent back) until
 * it finishes with a structured result, either through the `finish` tool or a JSON answer matching the
 * phase's schema. Every answer that is neither a usable tool call nor a valid finish gets one corrective
 * message that names what was wrong (text instead of a call, a call cut off at the output limit, a call
 * whose JSON could not be read, an unknown tool with the list of real ones, arguments or a result that do
 * not match their schema). A call identical to the one just before is answered with a note instead of
 * being run again. The attempt ends early when the same call is made `loopLimit` times in a row, when
 * the same problem comes back `patience` answers in a row, or when the conversation no longer fits the
 * model's context even condensed; its outcome names the cause (see `describeOutcome`).
 * Older tool results are collapsed in the requests (`keepToolResults`), never in the conversation kept here.
 */
import { z } from 'zod';
import { ContextLengthExceededError } from '../errors/index.js';
import { parseJsonAnswer } from '../llm/parse-json-answer.js';
import type { ChatMessage, ModelResponse, ToolCall, ToolDefinition } from '../llm/types.js';
import type { AgentModels, PairRole } from './agent-models.js';
import { ProblemTally, type AgentOutcome, type ProblemRecord } from './agent-outcome.js';
import { executeTool, TOOL_ALIASES, toolDefinitions, type ToolContext } from './agent-tools.js';
import {
  invalidCallMessage,
  invalidFinishMessage,
  repeatedCallResult,
  textAnswerMessage,
  truncatedMessage,
  unknownToolResult,
} from './corrective-messages.js';

export { describeOutcome, type AgentOutcome, type AnswerProblem } from './agent-outcome.js';

/** Something the loop did, for the event log. */
export interface AgentStepEvent {
  kind: 'agent.tool_call' | 'agent.repair' | 'agent.model_call';
  role: PairRole;
  step: string;
  data: Record<string, unknown>;
}

/** Options of {@link runAgent}. */
export interface RunAgentOptions<T> {
  models: AgentModels;
  role: PairRole;
  /** Step label sent with every request (`red-1`, `green-2`): the scripted provider matches on it. */
  step: string;
  /** Conversation id sent with every request (`ModelRequest.conversation`); stable across a resume. */
  conversation?: string;
  system: string;
  user: string;
  tools: ToolContext;
  /** The phase's result. */
  resultSchema: z.ZodType<T>;
  /** Maximum model calls in this attempt. */
  maxSteps: number;
  /** Identical consecutive tool calls that end the attempt. */
  loopLimit: number;
  /** Answers in a row with the same problem that end the attempt (default 3). */
  patience?: number;
  /** Tool results sent in full; older ones go as one-line summaries (default 5, as SWE-agent). */
  keepToolResults?: number;
  /** Sampling temperature of every request (default: the alias's); raise it on retries. */
  temperature?: number;
  onEvent?: (event: AgentStepEvent) => void | Promise<void>;
  signal?: AbortSignal;
}

/** What one answer led to: an outcome that ends the attempt, or the answer's problem (none: progress). */
type Turn<T> = { end: AgentOutcome<T> } | { problem: ProblemRecord | undefined };

/**
 * Runs one attempt (see the module comment). Model errors other than a context that cannot be fitted
 * (budget, provider) propagate.
 */
export async function runAgent<T>(options: RunAgentOptions<T>): Promise<AgentOutcome<T>> {
  const finishSchema = z.toJSONSchema(options.resultSchema) as Record<string, unknown>;
  delete finishSchema.$schema;
  const tools = toolDefinitions(
    options.role,
    finishSchema,
    options.tools.searchMemory !== undefined,
  );
  const state: LoopState = {
    messages: [
      { role: 'system', content: options.system },
      { role: 'user', content: options.user },
    ],
    lastCall: '',
    repeats: 0,
  };
  const emit = async (kind: AgentStepEvent['kind'], data: Record<string, unknown>) =>
    options.onEvent?.({ kind, role: options.role, step: options.step, data });
  const tally = new ProblemTally();
  const patience = options.patience ?? 3;
  for (let steps = 1; steps <= options.maxSteps; steps++) {
    let response: ModelResponse;
    try {
      response = await options.models.complete(options.role, {
        // A snapshot: the loop keeps appending to `messages`, a provider may keep the request.
        messages: [...state.messages],
        tools,
        step: options.step,
        keepToolResults: options.keepToolResults ?? 5,
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.conversation ? { conversation: options.conversation } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof ContextLengthExceededError) {
        return { kind: 'context_overflow', steps, message: error.message };
      }
      throw error;
    }
    await emit('agent.model_call', {
      alias: options.models.alias(options.role),
      toolCalls: response.toolCalls.map((c) => c.name),
      usage: response.usage,
      latencyMs: response.latencyMs,
      ...(response.truncated ? { truncated: true } : {}),
      ...(response.toolCallProblems?.length
        ? { problems: response.toolCallProblems.map((p) => p.kind) }
        : {}),
    });
    const turn =
      response.toolCalls.length === 0
        ? answerWithoutCalls(response, options.resultSchema, tools, state, steps)
        : await answerWithCalls(response, options, tools, state, steps, emit);
    if ('end' in turn) {
      return turn.end;
    }
    if (turn.problem === undefined) {
      tally.progress();
      continue;
    }
    await emit('agent.repair', {
      problem: turn.problem.problem,
      error: turn.problem.detail,
      text: response.text.slice(0, 500),
    });
    const run = tally.record(turn.problem);
    if (run >= patience) {
      return { kind: 'gave_up', steps, count: run, ...turn.problem };
    }
  }
  const dominant = tally.dominant(options.maxSteps);
  return { kind: 'step_limit', steps: options.maxSteps, ...(dominant ? { dominant } : {}) };
}

/** The conversation and the last call made (for repeats). */
interface LoopState {
  messages: ChatMessage[];
  lastCall: string;
  repeats: number;
}

/** An answer without tool calls: a finish result as JSON, or a problem to correct. */
function answerWithoutCalls<T>(
  response: ModelResponse,
  schema: z.ZodType<T>,
  tools: readonly ToolDefinition[],
  state: LoopState,
  steps: number,
): Turn<T> {
  const problems = response.toolCallProblems ?? [];
  const finish =
    problems.length === 0 ? parseAnswer(response.json, response.text, schema) : undefined;
  if (finish?.ok) {
    return { end: { kind: 'result', result: finish.value, steps } };
  }
  let problem: ProblemRecord;
  let correction: string;
  if (problems.some((p) => p.kind === 'truncated') || (response.truncated && !finish?.json)) {
    problem = { problem: 'truncated', detail: problems[0]?.message ?? 'output limit' };
    correction = truncatedMessage(problems);
  } else if (problems.length > 0) {
    problem = { problem: 'invalid_call', detail: problems[0]!.message };
    correction = invalidCallMessage(problems);
  } else if (finish?.json || /\{\s*"/.test(response.text)) {
    // A JSON value that fails the schema, or a JSON object (a quoted key) that does not parse: a finish
    // result gone wrong. Code in prose (`{ return a * b; }`) stays a text answer.
    problem = { problem: 'invalid_finish', detail: finish?.error ?? 'not valid JSON' };
    correction = invalidFinishMessage(finish?.error ?? 'not valid JSON');
  } else {
    problem = { problem: 'text_answer', detail: response.text.slice(0, 120) };
    correction = textAnswerMessage(tools);
  }
  state.messages.push({ role: 'assistant', content: response.text });
  state.messages.push({ role: 'user', content: correction });
  return { problem };
}

/** An answer with tool calls: each is run (or refused with a reason), then any unreadable call corrected. */
async function answerWithCalls<T>(
  response: ModelResponse,
  options: RunAgentOptions<T>,
  tools: readonly ToolDefinition[],
  state: LoopState,
  steps: number,
  emit: (kind: AgentStepEvent['kind'], data: Record<string, unknown>) => Promise<void>,
): Promise<Turn<T>> {
  // Old tool names (`read_file`, `write_file`) that models and scripts still use are accepted as aliases.
  const known = new Set([...tools.map((t) => t.name), ...Object.keys(TOOL_ALIASES)]);
  state.messages.push({ role: 'assistant', content: response.text, toolCalls: response.toolCalls });
  let progress = false;
  let problem: ProblemRecord | undefined;
  const note = (p: ProblemRecord) => {
    problem ??= p;
  };
  for (const call of response.toolCalls) {
    const signature = `${call.name}${JSON.stringify(call.arguments)}`;
    state.repeats = signature === state.lastCall ? state.repeats + 1 : 1;
    state.lastCall = signature;
    // An unknown tool is named as such however often it comes (never run, so never a loop).
    if (!known.has(call.name)) {
      state.messages.push(toolMessage(call, unknownToolResult(call.name, tools)));
      note({ problem: 'unknown_tool', detail: call.name });
      continue;
    }
    if (state.repeats >= options.loopLimit) {
      await emit('agent.tool_call', { tool: call.name, loop: true });
      return { end: { kind: 'loop', call: call.name, repeats: state.repeats, steps } };
    }
    if (state.repeats > 1) {
      state.messages.push(toolMessage(call, repeatedCallResult(call.name)));
      note({ problem: 'repeated_call', detail: call.name });
      continue;
    }
    if (call.name === 'finish') {
      const parsed = options.resultSchema.safeParse(call.arguments);
      if (parsed.success) {
        return { end: { kind: 'result', result: parsed.data, steps } };
      }
      const error = z.prettifyError(parsed.error);
      state.messages.push(
        toolMessage(call, { ok: false, error: { type: 'invalid_result', message: error } }),
      );
      note({ problem: 'invalid_finish', detail: error });
      continue;
    }
    const result = await executeTool(call, options.tools);
    await emit('agent.tool_call', {
      tool: call.name,
      ...(typeof call.arguments.path === 'string' ? { path: call.arguments.path } : {}),
      ok: result.ok,
      ...(result.ok ? {} : { error: result.error }),
    });
    state.messages.push(toolMessage(call, result));
    if (!result.ok && result.error.type === 'invalid_arguments') {
      note({ problem: 'invalid_arguments', detail: `${call.name}: ${result.error.message}` });
    } else {
      progress = true;
    }
  }
  const unreadable = response.toolCallProblems ?? [];
  if (unreadable.length > 0) {
    const cut = unreadable.some((p) => p.kind === 'truncated');
    state.messages.push({
      role: 'user',
      content: cut ? truncatedMessage(unreadable) : invalidCallMessage(unreadable),
    });
    note({ problem: cut ? 'truncated' : 'invalid_call', detail: unreadable[0]!.message });
  }
  return { problem: progress ? undefined : problem };
}

function toolMessage(call: ToolCall, result: unknown): ChatMessage {
  return { role: 'tool', toolCallId: call.id, name: call.name, content: JSON.stringify(result) };
}

/**
 * Parses a final answer: the provider's parsed JSON, else JSON read from the text. `json` tells a value
 * that failed the schema (an invalid finish) from text that is not JSON at all (a prose answer).
 */
function parseAnswer<T>(
  json: unknown,
  text: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; json: boolean; error: string } {
  let value = json;
  if (value === undefined) {
    const parsed = parseJsonAnswer(text);
    if (!parsed.ok) {
      return { ok: false, json: false, error: parsed.error };
    }
    value = parsed.value;
  }
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, json: true, error: z.prettifyError(parsed.error) };
}
