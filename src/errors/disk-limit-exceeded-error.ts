import { TandemError } from './tandem-error.js';

/**
 * A sandbox's workspace grew past its disk limit (policy `sandbox.diskMb`, or the server's
 * `TANDEM_SANDBOX_DISK_MB`) during a command, or could not be measured. The command was killed; the pair
 * engine discards the changes and blocks the ticket (`workspace_too_large`). Sizes are in bytes;
 * `used` is absent when the workspace could not be measured, `limit` when the sandbox did not say.
 */
export class DiskLimitExceededError extends TandemError {
  readonly code = 'disk_limit_exceeded';

  constructor(
    readonly limit: number | undefined,
    readonly used: number | undefined,
    options?: { cause?: unknown },
  ) {
    const of = limit === undefined ? '' : ` of ${mib(limit)} MiB`;
    super(
      used === undefined
        ? `the workspace could not be measured against its disk limit${of}`
        : `the workspace grew to ${mib(used)} MiB, over its disk limit${of}`,
      options,
    );
  }
}

function mib(bytes: number): number {
  return Math.ceil(bytes / 1024 / 1024);
}
