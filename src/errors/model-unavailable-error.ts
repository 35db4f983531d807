import { TandemError } from './tandem-error.js';

/**
 * An embedded model cannot be made available: the GGUF file is missing, cannot be downloaded
 * (`hf:` reference offline or unknown) or cannot be loaded. Retrying will not help until an operator acts.
 */
export class ModelUnavailableError extends TandemError {
  readonly code = 'model_unavailable';

  constructor(
    readonly alias: string,
    /** The model reference from the catalog (path or `hf:` URI; never a credential). */
    readonly model: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`model alias ${alias} (${model}) is unavailable: ${reason}`, options);
  }
}
