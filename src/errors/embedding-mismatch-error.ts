import { TandemError } from './tandem-error.js';

/**
 * Vectors of two different embedding models (or widths) met: a repository's stored memories and the
 * embedding alias its policy names now, or a model's answer and the `dimensions` the catalog gives it.
 * Comparing them would rank nonsense, so nothing is compared. `expected` / `actual` describe both sides
 * (`<provider>:<model>` and the width); the message names both widths and the fix.
 */
export class EmbeddingMismatchError extends TandemError {
  readonly code = 'embedding_mismatch';

  constructor(
    readonly expected: { model: string; dimensions: number },
    readonly actual: { model: string; dimensions: number },
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
