/**
 * One agent phase attempt: the role's model answers with tool calls (executed, results sent back) until
 * it finishes with a structured result, either through the `finish` tool or a JSON answer matching the
 * phase's schema. Invalid JSON or a result that does not match is shown to the model with the error (a
 * repair turn). The attempt ends early at the step limit or when the same tool call (name and arguments)
 * is made `loopLimit` times in a row.
 */
import { z } from 'zod';
import { parseJsonAnswer } from '../llm/parse-json-answer.js';
import type { ChatMessage, ToolCall } from '../llm/types.js';
import type { AgentModels, PairRole } from './agent-models.js';
import { executeTool, toolDefinitions, type ToolContext } from './agent-tools.js';

/** How an attempt ended. */
export type AgentOutcome<T> =
  | { kind: 'result'; result: T; steps: number }
  | { kind: 'step_limit'; steps: number }
  | { kind: 'loop'; call: string; steps: number };

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
  onEvent?: (event: AgentStepEvent) => void | Promise<void>;
  signal?: AbortSignal;
}

/** Runs one attempt (see the module comment). Model errors (budget, provider) propagate. */
export async function runAgent<T>(options: RunAgentOptions<T>): Promise<AgentOutcome<T>> {
  const finishSchema = z.toJSONSchema(options.resultSchema) as Record<string, unknown>;
  delete finishSchema.$schema;
  const tools = toolDefinitions(options.role, finishSchema);
  const messages: ChatMessage[] = [
    { role: 'system', content: options.system },
    { role: 'user', content: options.user },
  ];
  const emit = async (kind: AgentStepEvent['kind'], data: Record<string, unknown>) =>
    options.onEvent?.({ kind, role: options.role, step: options.step, data });
  let lastCall = '';
  let repeats = 0;
  for (let steps = 1; steps <= options.maxSteps; steps++) {
    const response = await options.models.complete(options.role, {
      // A snapshot: the loop keeps appending to `messages`, a provider may keep the request.
      messages: [...messages],
      tools,
      step: options.step,
      ...(options.conversation ? { conversation: options.conversation } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await emit('agent.model_call', {
      alias: options.models.alias(options.role),
      toolCalls: response.toolCalls.map((c) => c.name),
      usage: response.usage,
      latencyMs: response.latencyMs,
    });
    if (response.toolCalls.length === 0) {
      const parsed = parseAnswer(response.json, response.text, options.resultSchema);
      if (parsed.ok) {
        return { kind: 'result', result: parsed.value, steps };
      }
      await emit('agent.repair', { error: parsed.error, text: response.text.slice(0, 500) });
      messages.push({ role: 'assistant', content: response.text });
      messages.push({
        role: 'user',
        content: `Your answer was not valid: ${parsed.error}\nCall a tool, or finish with JSON matching the finish tool's schema.`,
      });
      continue;
    }
    messages.push({ role: 'assistant', content: response.text, toolCalls: response.toolCalls });
    for (const call of response.toolCalls) {
      const signature = `${call.name}${JSON.stringify(call.arguments)}`;
      repeats = signature === lastCall ? repeats + 1 : 1;
      lastCall = signature;
      if (repeats >= options.loopLimit) {
        await emit('agent.tool_call', { tool: call.name, loop: true });
        return { kind: 'loop', call: call.name, steps };
      }
      if (call.name === 'finish') {
        const parsed = options.resultSchema.safeParse(call.arguments);
        if (parsed.success) {
          return { kind: 'result', result: parsed.data, steps };
        }
        const error = z.prettifyError(parsed.error);
        await emit('agent.repair', { error });
        messages.push(
          toolMessage(call, { ok: false, error: { type: 'invalid_result', message: error } }),
        );
        continue;
      }
      const result = await executeTool(call, options.tools);
      await emit('agent.tool_call', {
        tool: call.name,
        ...(typeof call.arguments.path === 'string' ? { path: call.arguments.path } : {}),
        ok: result.ok,
        ...(result.ok ? {} : { error: result.error }),
      });
      messages.push(toolMessage(call, result));
    }
  }
  return { kind: 'step_limit', steps: options.maxSteps };
}

function toolMessage(call: ToolCall, result: unknown): ChatMessage {
  return { role: 'tool', toolCallId: call.id, name: call.name, content: JSON.stringify(result) };
}

/** Parses a final answer: the provider's parsed JSON, else JSON read from the text (`parseJsonAnswer`). */
function parseAnswer<T>(
  json: unknown,
  text: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; error: string } {
  let value = json;
  if (value === undefined) {
    const parsed = parseJsonAnswer(text);
    if (!parsed.ok) {
      return parsed;
    }
    value = parsed.value;
  }
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: z.prettifyError(parsed.error) };
}
