/**
 * A stand-in embedding model for ranking tests: each text's vector is given by the test, so a fixture can
 * place memories exactly where full text and vectors disagree. (The real providers are tested apart: the
 * tiny GGUF through node-llama-cpp, Ollama and OpenAI-compatible servers at the HTTP boundary; no real
 * embedding model small enough to place vectors on purpose runs here.) `fail` makes it throw like a model
 * server that is down.
 */
import { ModelCallError } from '../../src/errors/index.js';
import type { Embedder } from '../../src/memory/embedder.js';
import { createLogger, type Logger } from '../../src/log/logger.js';

/** See the module comment. */
export class FixedEmbedder implements Embedder {
  readonly dimensions: number;
  /** When set, every call throws a transient `ModelCallError` (the server is down). */
  fail = false;
  calls = 0;

  constructor(
    readonly alias: string,
    readonly model: string,
    private readonly vectors: Record<string, number[]>,
    /** Vector of a text the table does not name (default: throw, so a fixture cannot miss one). */
    private readonly fallback?: (text: string) => number[],
  ) {
    this.dimensions = Object.values(vectors)[0]?.length ?? fallback?.('').length ?? 0;
  }

  embed(texts: readonly string[]): Promise<number[][]> {
    this.calls += 1;
    if (this.fail) {
      return Promise.reject(new ModelCallError(this.alias, 'request failed: ECONNREFUSED', true));
    }
    return Promise.resolve(
      texts.map((t) => {
        const v = this.vectors[t] ?? this.fallback?.(t);
        if (v === undefined) {
          throw new Error(`the fixture has no vector for ${JSON.stringify(t)}`);
        }
        return v;
      }),
    );
  }
}

/** A logger whose lines a test can read (`lines()` parses them). */
export function capturedLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (l: string) => raw.push(l) },
  });
  return {
    logger,
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
