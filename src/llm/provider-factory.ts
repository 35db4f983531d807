/**
 * Builds the provider of a catalog alias. Every provider module is imported dynamically when the first
 * alias of its kind is built, so a process pays only for the clients it uses: node-llama-cpp (a native
 * addon, about 40 MB resident) for `llama-cpp`, the `openai` SDK (about 12 MB) for `openai`, `ollama`'s
 * client for `ollama`. A worker that has called no model has loaded none of them.
 */
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ModelEntry } from './catalog.js';
import { LlamaRuntime, type LlamaRuntimeOptions } from './providers/llama-runtime.js';
import type { ModelProvider } from './types.js';

/**
 * Creates the provider for `alias` (called once per alias by `ModelManager`); the optional `close`
 * releases what the factory shares between providers (the `Llama` instance), after the providers closed.
 */
export type ProviderFactory = ((alias: string, entry: ModelEntry) => Promise<ModelProvider>) & {
  close?: () => Promise<void>;
};

/** Options of {@link createProviderFactory}. */
export interface ProviderFactoryOptions {
  /** Download directory of `hf:` models (the catalog's `modelsDir`). */
  modelsDir: string;
  /** Hugging Face endpoint (mirror) for `hf:` downloads. */
  huggingFaceEndpoint?: string;
  logger?: Logger;
  /** node-llama-cpp settings (CPU only by default). */
  llama?: LlamaRuntimeOptions;
  /** Download progress of embedded models, in bytes (default: a log line every 10 %). */
  onDownloadProgress?: (
    alias: string,
    status: { downloadedSize: number; totalSize: number },
  ) => void;
}

/**
 * The default factory. All `llama-cpp` providers it makes share one `LlamaRuntime` (one `Llama` instance).
 * @throws ConfigError for a `scripted` alias whose script file is missing or invalid
 */
export function createProviderFactory(options: ProviderFactoryOptions): ProviderFactory {
  const runtime = new LlamaRuntime(options.llama ?? {});
  const logger = options.logger ? { logger: options.logger } : {};
  const factory: ProviderFactory = async (alias, entry) => {
    switch (entry.provider) {
      case 'scripted': {
        if (entry.script === undefined) {
          throw new ConfigError('model catalog', [
            { path: `models.${alias}.script`, message: 'required for scripted' },
          ]);
        }
        const { ScriptedProvider, loadModelScript } =
          await import('./providers/scripted-provider.js');
        return new ScriptedProvider({ alias, responses: await loadModelScript(entry.script) });
      }
      case 'ollama': {
        const { OllamaProvider } = await import('./providers/ollama-provider.js');
        return new OllamaProvider({ alias, entry });
      }
      case 'openai': {
        const { OpenAiProvider } = await import('./providers/openai-provider.js');
        return new OpenAiProvider({ alias, entry, ...logger });
      }
      case 'llama-cpp': {
        const { LlamaCppProvider } = await import('./providers/llama-cpp-provider.js');
        const progress = options.onDownloadProgress;
        return new LlamaCppProvider({
          alias,
          entry,
          runtime,
          modelsDir: options.modelsDir,
          ...(options.huggingFaceEndpoint === undefined
            ? {}
            : { huggingFaceEndpoint: options.huggingFaceEndpoint }),
          ...logger,
          ...(progress ? { onDownloadProgress: (s) => progress(alias, s) } : {}),
        });
      }
    }
  };
  factory.close = () => runtime.dispose();
  return factory;
}
