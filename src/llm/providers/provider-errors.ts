/**
 * Maps failures of HTTP model providers to Tandem's typed errors, the same way for every provider:
 * aborts → `ModelCallAbortedError`; HTTP 408, 409, 429 and 5xx, connection and timeout failures →
 * transient `ModelCallError` (retried); any other HTTP status → permanent `ModelCallError`.
 * Messages are passed through `redactSecrets` with the alias's credentials.
 */
import { ModelCallAbortedError, ModelCallError, redactSecrets } from '../../errors/index.js';

/** True for HTTP statuses a retry may fix. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Converts `error` (thrown by a client library or fetch) into a typed error. `status` is the HTTP
 * status when the library exposes one; `secrets` are redacted from the message.
 */
export function toModelError(
  alias: string,
  error: unknown,
  status: number | undefined,
  signal: AbortSignal | undefined,
  secrets: readonly string[],
): ModelCallError | ModelCallAbortedError {
  if (error instanceof ModelCallError || error instanceof ModelCallAbortedError) {
    return error;
  }
  if (signal?.aborted) {
    return new ModelCallAbortedError(alias, { cause: signal.reason });
  }
  const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
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
