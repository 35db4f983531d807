import { TandemError } from './tandem-error.js';

/**
 * A sandbox was requested with an unusable specification: workspace not an absolute directory, a `.git`
 * inside the workspace, limits out of range, or a network use the spec does not allow.
 */
export class SandboxSpecError extends TandemError {
  readonly code = 'sandbox_spec_invalid';
}
