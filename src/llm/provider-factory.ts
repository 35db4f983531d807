/**
 * Builds the provider of a catalog alias. HTTP providers are plain classes; the embedded llama.cpp provider
 * is imported dynamically so that nothing pays for node-llama-cpp unless a `llama-cpp` alias is used.
 */
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ModelEntry } from './catalog.js';
import { LlamaRuntime, type LlamaRuntimeOptions } from './providers/llama-runtime.js';
import { OllamaProvider } from './providers/ollama-provider.js';
import { OpenAiProvider } from './providers/openai-provider.js';
import { ScriptedProvider, loadModelScript } from './providers/scripted-provider.js';
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
        return new ScriptedProvider({ alias, responses: await loadModelScript(entry.script) });
      }
      case 'ollama':
        return new OllamaProvider({ alias, entry });
      case 'openai':
        return new OpenAiProvider({ alias, entry, ...logger });
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
