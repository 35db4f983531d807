/**
 * Maps failures of HTTP model providers to Tandem's typed errors, the same way for every provider:
 * aborts → `ModelCallAbortedError`; an answer saying the prompt does not fit the context window →
 * `ContextLengthExceededError` (the session condenses and retries); HTTP 408, 409, 429 and 5xx, connection
 * and timeout failures → transient `ModelCallError` (retried); any other HTTP status → permanent
 * `ModelCallError`. Messages are passed through `redactSecrets` with the alias's credentials.
 */
import {
  ContextLengthExceededError,
  ModelCallAbortedError,
  ModelCallError,
  redactSecrets,
} from '../../errors/index.js';

/** True for HTTP statuses a retry may fix. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * How servers word a prompt that does not fit: OpenAI (`context_length_exceeded`, "maximum context
 * length"), vLLM ("maximum context length is N tokens", "longer than the maximum model length"),
 * llama.cpp server (`exceed_context_size_error`, "exceeds the available context size"), LM Studio
 * ("context length of only N tokens"), Ollama ("exceeds maximum context length"). Servers answer these
 * with HTTP 400 (vLLM, OpenAI, llama.cpp), 413 or 422; the wording is the only signal they share.
 */
const CONTEXT_ERROR =
  /context[_ ]length[_ ]exceeded|maximum context length|exceed_context_size|exceeds? the available context size|context length of only|longer than the maximum model length|exceeds? (?:the )?maximum context|prompt is too long|too many tokens/i;

const PROMPT_TOKENS = [
  /"?n_prompt_tokens"?\s*[:=]\s*(\d+)/,
  /\((\d+) in the messages/,
  /(?:resulted in|request has|prompt has) (\d+) (?:input )?tokens/,
  /prompt \(length (\d+)\)/,
  /keep the first (\d+) tokens/,
];
const CONTEXT_TOKENS = [
  /"?n_ctx"?\s*[:=]\s*(\d+)/,
  /maximum context length is (\d+)/,
  /maximum model length of (\d+)/,
  /context length of only (\d+)/,
];

function firstNumber(text: string, patterns: readonly RegExp[]): number | undefined {
  for (const p of patterns) {
    const m = p.exec(text);
    if (m?.[1] !== undefined) {
      return Number(m[1]);
    }
  }
  return undefined;
}

/** Everything a client error carries as text: its message, its parsed error, the raw body when kept. */
function errorText(error: unknown, body: string | undefined): string {
  const raw = body === undefined ? '' : ` ${body}`;
  if (!(error instanceof Error)) {
    return `${String(error)}${raw}`;
  }
  const e = error as Error & { error?: unknown; code?: unknown };
  const parsed = e.error === undefined ? '' : ` ${JSON.stringify(e.error)}`;
  const code = typeof e.code === 'string' ? ` ${e.code}` : '';
  return `${e.message}${code}${parsed}${raw}`;
}

/** The error's message, or the server's body when the client could not read a message from it. */
function messageOf(error: unknown, body: string | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  return body !== undefined && /\(no body\)$/.test(message)
    ? `${message}: ${body.slice(0, 500)}`
    : message;
}

/**
 * A `ContextLengthExceededError` when `error` (an HTTP client error with `status`) says the prompt did
 * not fit the context window, with the server's token figures when it gave them; else undefined.
 */
export function contextLengthError(
  alias: string,
  error: unknown,
  status: number | undefined,
  secrets: readonly string[],
  body?: string,
): ContextLengthExceededError | undefined {
  if (status !== undefined && status !== 400 && status !== 413 && status !== 422) {
    return undefined;
  }
  const text = errorText(error, body);
  if (!CONTEXT_ERROR.test(text)) {
    return undefined;
  }
  const promptTokens = firstNumber(text, PROMPT_TOKENS);
  const contextTokens = firstNumber(text, CONTEXT_TOKENS);
  return new ContextLengthExceededError(
    alias,
    `the prompt does not fit the context window: ${redactSecrets(messageOf(error, body), secrets).slice(0, 400)}`,
    {
      ...(promptTokens === undefined ? {} : { promptTokens }),
      ...(contextTokens === undefined ? {} : { contextTokens }),
      ...(status === undefined ? {} : { status }),
    },
  );
}

/**
 * Converts `error` (thrown by a client library or fetch) into a typed error. `status` is the HTTP
 * status when the library exposes one; `secrets` are redacted from the message; `body` is the server's
 * error body when the caller kept it (read for the context-length check and for a message the client lost).
 */
export function toModelError(
  alias: string,
  error: unknown,
  status: number | undefined,
  signal: AbortSignal | undefined,
  secrets: readonly string[],
  body?: string,
): ModelCallError | ModelCallAbortedError | ContextLengthExceededError {
  if (
    error instanceof ModelCallError ||
    error instanceof ModelCallAbortedError ||
    error instanceof ContextLengthExceededError
  ) {
    return error;
  }
  if (signal?.aborted) {
    return new ModelCallAbortedError(alias, { cause: signal.reason });
  }
  const context = contextLengthError(alias, error, status, secrets, body);
  if (context !== undefined) {
    return context;
  }
  const message = redactSecrets(messageOf(error, body), secrets);
  if (status !== undefined) {
    return new ModelCallError(
      alias,
      `HTTP ${status}: ${message}`,
      isTransientStatus(status),
      status,
    );
  }
  // No status: the request never got an HTTP answer (refused, reset, DNS, TLS, timeout).
  return new ModelCallError(alias, `request failed: ${message}`, true);
}
