/**
 * Start-up check of the embedded models: for each `llama-cpp` alias with an `hf:` reference (the built-in
 * `local-coder` among them), whether its GGUF file is already in the model cache. Nothing is downloaded
 * here: a missing model is fetched on first use, with progress (`download-progress.ts`); this only tells
 * the operator in advance, with what to do on a machine without internet access.
 */
import type { ModelCatalog } from '../src/llm/catalog.js';
import type { Logger } from '../src/log/logger.js';

/** One alias's cache state. */
export interface EmbeddedModelState {
  alias: string;
  model: string;
  cached: boolean;
  /** The cached file, when present. */
  path?: string;
}

/** Resolves a model reference without downloading (node-llama-cpp's `resolveModelFile`). */
export type ResolveCached = (model: string, directory: string) => Promise<string>;

const defaultResolve: ResolveCached = async (model, directory) => {
  const { resolveModelFile } = await import('node-llama-cpp');
  return resolveModelFile(model, { directory, cli: false, download: false });
};

/**
 * Checks every embedded `hf:` alias of `catalog` and logs one line each: info when cached, a warning
 * naming the download source, the cache directory and the offline alternatives when not.
 */
export async function checkEmbeddedModels(
  catalog: ModelCatalog,
  logger: Logger,
  resolveCached: ResolveCached = defaultResolve,
): Promise<EmbeddedModelState[]> {
  const states: EmbeddedModelState[] = [];
  for (const [alias, entry] of Object.entries(catalog.models)) {
    if (entry.provider !== 'llama-cpp' || !entry.model.startsWith('hf:')) {
      continue;
    }
    try {
      const path = await resolveCached(entry.model, catalog.modelsDir);
      states.push({ alias, model: entry.model, cached: true, path });
      logger.info({ alias, path }, 'embedded model ready');
    } catch {
      states.push({ alias, model: entry.model, cached: false });
      logger.warn(
        {
          alias,
          model: entry.model,
          modelsDir: catalog.modelsDir,
          source: catalog.huggingFaceEndpoint ?? 'https://huggingface.co',
        },
        'embedded model not downloaded yet: it is fetched on first use (progress is shown). Without ' +
          'internet access, put the GGUF file into modelsDir, set huggingFaceEndpoint in the catalog to ' +
          'a mirror, or point TANDEM_MODEL_CATALOG at a local GGUF path, Ollama or an OpenAI-compatible ' +
          'server (docs/models.md)',
      );
    }
  }
  return states;
}
