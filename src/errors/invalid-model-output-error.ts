import { TandemError } from './tandem-error.js';

/**
 * A model's structured answer did not match the requested schema, even after the one repair attempt that
 * showed the model its validation error. `issues` are the validation messages of the last attempt;
 * `text` is the last answer (model output, never a secret), cut to 2,000 characters.
 */
export class InvalidModelOutputError extends TandemError {
  readonly code = 'model_output_invalid';
  readonly text: string;

  constructor(
    readonly alias: string,
    readonly issues: readonly string[],
    text: string,
    options?: { cause?: unknown },
  ) {
    super(
      `model alias ${alias} returned invalid structured output after a repair attempt: ${issues.slice(0, 5).join('; ')}`,
      options,
    );
    this.text = text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
  }
}
