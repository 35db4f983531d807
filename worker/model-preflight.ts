/**
 * Start-up check of the embedded models: for each `llama-cpp` alias with an `hf:` reference (the built-in
 * `local-coder` among them), whether its GGUF file is already in the model cache. Nothing is downloaded
 * here: a missing model is fetched on first use, with progress (`download-progress.ts`); this only tells
 * the operator in advance, with what to do on a machine without internet access.
 *
 * The lookup is node-llama-cpp's own `resolveModelFile` (its file naming is its business), run in a
 * short-lived child process: importing node-llama-cpp costs about 40 MB that would otherwise stay
 * resident in a process that may never load a model (docs/deployment.md, "Memory").
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
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

/**
 * The child's program: argv is `[node-llama-cpp module URL, model, directory]`; prints the cached file's
 * path, or exits 1 with node-llama-cpp's reason on stderr. Plain JavaScript, so no TypeScript loader.
 */
const CHILD = `
const [url, model, directory] = process.argv.slice(1);
import(url)
  .then(({ resolveModelFile }) => resolveModelFile(model, { directory, cli: false, download: false }))
  .then(
    (path) => process.stdout.write(path),
    (error) => {
      process.stderr.write(String(error && error.message ? error.message : error));
      process.exit(1);
    },
  );
`;

const defaultResolve: ResolveCached = async (model, directory) => {
  const url = pathToFileURL(createRequire(import.meta.url).resolve('node-llama-cpp')).href;
  const child = await execa(process.execPath, ['-e', CHILD, url, model, directory], {
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  if (child.exitCode !== 0 || child.stdout === '') {
    throw new Error(child.stderr || `model check exited with ${String(child.exitCode)}`);
  }
  return child.stdout;
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
