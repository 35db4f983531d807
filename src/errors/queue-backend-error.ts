import { TandemError } from './tandem-error.js';

/**
 * The queue backend could not be set up or used: Redis or PostgreSQL unreachable at start-up, BullMQ's
 * schema migration failed, or an object was requested from a backend that is closing. The driver's
 * error is the `cause`; connection URLs are redacted from the message.
 */
export class QueueBackendError extends TandemError {
  readonly code = 'queue_backend_failed';
}
