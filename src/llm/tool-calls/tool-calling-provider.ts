/**
 * Applies an alias's `toolCalling` setting around its provider:
 * - `native`: tools go to the server's tool API; calls come from the server's `tool_calls`;
 * - `text`: tools are described in the system prompt (`toTextProtocol`) and calls are read from the
 *   answer's text (`parseToolCalls`, every dialect);
 * - `auto`: native until the server refuses tools (HTTP 400/422 for a request with tools) or the model
 *   writes its calls as text; from then on text, for this alias (like the OpenAI provider's `json_object`
 *   fallback). The answer that revealed text calls is read as text at once, not lost.
 * Every call leaves with an id unique in its conversation.
 */
import { ModelCallError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import { newCallId, uniqueCallIds } from '../call-id.js';
import type { ModelProvider, ModelRequest, ModelResponse } from '../types.js';
import { parseToolCalls, type ParsedToolAnswer } from './parse-tool-calls.js';
import { toTextProtocol } from './text-tool-protocol.js';

/** An alias's `toolCalling` setting. */
export type ToolCallingMode = 'native' | 'text' | 'auto';

/** Options of {@link ToolCallingProvider}. */
export interface ToolCallingProviderOptions {
  mode: ToolCallingMode;
  logger?: Logger;
}

/** True when `error` is a server's refusal of a request with tools (not a transient failure). */
function refusesTools(error: unknown): boolean {
  return (
    error instanceof ModelCallError &&
    !error.transient &&
    (error.status === 400 || error.status === 422)
  );
}

/** See the module comment. Wraps one alias's provider; safe for concurrent calls. */
export class ToolCallingProvider implements ModelProvider {
  readonly alias: string;
  private text: boolean;

  constructor(
    private readonly inner: ModelProvider,
    private readonly options: ToolCallingProviderOptions,
  ) {
    this.alias = inner.alias;
    this.text = options.mode === 'text';
    if (inner.countTokens) {
      this.countTokens = (text, signal) => inner.countTokens!(text, signal);
    }
  }

  countTokens?: (text: string, signal?: AbortSignal) => Promise<number>;

  /** True once tools are described in the prompt instead of sent to the server's tool API. */
  get textMode(): boolean {
    return this.text;
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const tools = request.tools ?? [];
    if (tools.length === 0) {
      return this.inner.complete(request);
    }
    if (this.text) {
      return this.viaText(request);
    }
    let response: ModelResponse;
    try {
      response = await this.inner.complete(request);
    } catch (error) {
      if (this.options.mode !== 'auto' || !refusesTools(error)) {
        throw error;
      }
      this.switchToText('the server refused the request with tools', error);
      return this.viaText(request);
    }
    if (response.toolCalls.length > 0 || this.options.mode === 'native') {
      return { ...response, toolCalls: uniqueCallIds(response.toolCalls, request.messages) };
    }
    const parsed = parseToolCalls(response.text, tools);
    if (parsed.calls.length === 0 && parsed.problems.length === 0) {
      return response;
    }
    this.switchToText('the model wrote its tool calls as text');
    return withTextCalls(response, parsed, request);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  private async viaText(request: ModelRequest): Promise<ModelResponse> {
    const response = await this.inner.complete(toTextProtocol(request));
    return withTextCalls(response, parseToolCalls(response.text, request.tools ?? []), request);
  }

  private switchToText(why: string, error?: unknown): void {
    if (!this.text) {
      this.text = true;
      this.options.logger?.warn(
        { alias: this.alias, why, ...(error === undefined ? {} : { err: error }) },
        'tool calls switched to the text protocol',
      );
    }
  }
}

/** `response` with the calls and problems read from its text (native calls, if any, come first). */
function withTextCalls(
  response: ModelResponse,
  parsed: ParsedToolAnswer,
  request: ModelRequest,
): ModelResponse {
  const problems = [...(response.toolCallProblems ?? []), ...parsed.problems];
  const calls = [
    ...response.toolCalls,
    ...parsed.calls.map((c) => ({ id: newCallId(), name: c.name, arguments: c.arguments })),
  ];
  const { toolCallProblems: _dropped, ...rest } = response;
  return {
    ...rest,
    text: parsed.text,
    reasoning: [response.reasoning, parsed.reasoning].filter((r) => r !== '').join('\n\n'),
    toolCalls: uniqueCallIds(calls, request.messages),
    ...(problems.length > 0 ? { toolCallProblems: problems } : {}),
  };
}
