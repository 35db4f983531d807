/**
 * Base class of every error Tandem throws on purpose.
 *
 * Each subclass has a stable string `code` that callers match on (never the message text), keeps the
 * underlying error as `cause`, and must never carry a secret in its message (see `redactSecrets`).
 * Shape follows BullMQ's `classes/errors/`: one class per file, `name = this.constructor.name`.
 */
export abstract class TandemError extends Error {
  /** Stable machine-readable identifier, e.g. `config_invalid`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}
