import { TandemError } from './tandem-error.js';

/**
 * A request did not fit the model's context window: the server said so (vLLM's and OpenAI's HTTP 400
 * "maximum context length", llama.cpp server's `exceed_context_size_error`, an embedded llama.cpp context
 * that would have to drop history), or the conversation cannot be condensed to fit even once older turns
 * are gone. `ModelSession` answers the first kind with a condensed retry; a caller sees this error only when
 * condensing cannot help. `promptTokens` and `contextTokens` are the server's figures when it gave them.
 */
export class ContextLengthExceededError extends TandemError {
  readonly code = 'context_length_exceeded';

  constructor(
    readonly alias: string,
    message: string,
    readonly details: {
      /** Tokens of the prompt as the server counted them. */
      promptTokens?: number;
      /** The context window in tokens as the server reported it. */
      contextTokens?: number;
      /** HTTP status of the server's answer. */
      status?: number;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(`model alias ${alias}: ${message}`, options);
  }
}
