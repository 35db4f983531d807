import { TandemError } from './tandem-error.js';

/**
 * A webhook body is not what its event header promises (missing or mistyped fields). The HTTP layer
 * answers 400 and records nothing. `issues` are zod's paths and messages; the payload itself is not kept.
 */
export class WebhookPayloadError extends TandemError {
  readonly code = 'webhook_payload_invalid';

  constructor(
    readonly forge: string,
    readonly event: string,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid ${forge} ${event} payload: ${issues.join('; ')}`, options);
  }
}
