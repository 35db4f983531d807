/**
 * The messages that tell a model what was wrong with its answer, one per answer, each naming the exact
 * problem and what to do instead (the valid tool names, the schema's issue, the cut-off call).
 */
import type { ToolCallProblem, ToolDefinition } from '../llm/types.js';

const names = (tools: readonly ToolDefinition[]): string => tools.map((t) => t.name).join(', ');

/** To a prose answer where a tool call or the finish result was expected. */
export function textAnswerMessage(tools: readonly ToolDefinition[]): string {
  return (
    'You answered in text, but this step needs a tool call. Call one of the tools ' +
    `(${names(tools)}) with its arguments as a JSON object, or call finish with the result once the ` +
    'phase is done. Do not describe the call: make it.'
  );
}

/** To a finish result (JSON answer or finish call) that does not match the schema. */
export function invalidFinishMessage(issue: string): string {
  return `Your answer was not valid: your finish result does not match its schema.\n${issue}\nCall finish again with a result that matches it, or keep working with the tools.`;
}

/** To an answer cut off at the output limit, with or without a readable call before the cut. */
export function truncatedMessage(problems: readonly ToolCallProblem[]): string {
  const what = problems[0]?.message ?? 'your answer stopped at the output limit';
  return (
    `Your answer was cut off at the output token limit before it was complete (${what}); nothing of it ` +
    'was run. Make smaller steps: change one part of a file at a time instead of writing it whole, and ' +
    'keep text outside the tool call short.'
  );
}

/** To tool calls whose JSON could not be read. */
export function invalidCallMessage(problems: readonly ToolCallProblem[]): string {
  const details = problems.map((p) => `- ${p.message}: ${p.excerpt}`).join('\n');
  return (
    `These tool calls could not be read and were not run:\n${details}\nWrite each call as ` +
    '<tool_call>{"name": "<tool>", "arguments": {…}}</tool_call> with the arguments as one valid JSON ' +
    'object (strings in double quotes, new lines as \\n).'
  );
}

/** The tool result of a call to a tool that does not exist. */
export function unknownToolResult(name: string, tools: readonly ToolDefinition[]) {
  return {
    ok: false as const,
    error: {
      type: 'unknown_tool',
      message: `There is no tool named "${name}". The tools are: ${names(tools)}.`,
    },
  };
}

/** The tool result of a call identical to the one just before (not run again). */
export function repeatedCallResult(name: string) {
  return {
    ok: false as const,
    error: {
      type: 'repeated_call',
      message:
        `This ${name} call is the same as your previous one and nothing changed in between, so it was ` +
        'not run again: its result is above. Use it, or do something else.',
    },
  };
}
