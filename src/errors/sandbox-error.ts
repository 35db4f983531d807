import { TandemError } from './tandem-error.js';

/**
 * The sandbox infrastructure failed: a container could not be created or started, died under a job, or
 * an exec could not be run. A failing command is not this error (it is a normal `ExecResult`).
 * `containerId` is set when a container was involved.
 */
export class SandboxError extends TandemError {
  readonly code = 'sandbox_failed';

  constructor(
    message: string,
    readonly containerId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
