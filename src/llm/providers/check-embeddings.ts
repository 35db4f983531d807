/**
 * What every embedding provider checks before handing vectors on: one finite vector per input text, each
 * as wide as the alias's catalog `dimensions` (a catalog that names the wrong width would otherwise store
 * vectors no index or query of that width can compare).
 */
import { EmbeddingMismatchError, ModelCallError } from '../../errors/index.js';
import type { ModelEntry } from '../catalog.js';

/**
 * Returns `vectors` as plain arrays when they fit `texts` and the catalog.
 * @throws ModelCallError (permanent) when the count differs or a value is not a finite number
 * @throws EmbeddingMismatchError when a vector's width is not the catalog's `dimensions`
 */
export function checkEmbeddings(
  alias: string,
  entry: ModelEntry,
  texts: readonly string[],
  vectors: readonly (readonly number[] | Float32Array)[],
): number[][] {
  if (vectors.length !== texts.length) {
    throw new ModelCallError(
      alias,
      `asked for ${texts.length} embeddings, got ${vectors.length}`,
      false,
    );
  }
  const expected = entry.dimensions ?? 0;
  return vectors.map((v) => {
    if (v.length !== expected) {
      throw new EmbeddingMismatchError(
        { model: `${entry.provider}:${entry.model}`, dimensions: expected },
        { model: `${entry.provider}:${entry.model}`, dimensions: v.length },
        `model alias ${alias} returned vectors of ${v.length} dimensions, but the catalog gives it ` +
          `dimensions: ${expected}; set \`dimensions: ${v.length}\` for ${alias} in the model catalog`,
      );
    }
    const out = Array.from(v);
    if (!out.every(Number.isFinite)) {
      throw new ModelCallError(
        alias,
        'an embedding holds a value that is not a finite number',
        false,
      );
    }
    return out;
  });
}
