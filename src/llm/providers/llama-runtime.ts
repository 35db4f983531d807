/**
 * The process's one node-llama-cpp `Llama` instance, created on first use. node-llama-cpp is heavy
 * (native addon, about 0.6 s to load), so it is imported dynamically here and nowhere else imports it
 * at start-up. Whoever creates providers (the provider factory) owns one runtime and passes it to every
 * `llama-cpp` provider, which makes it one per process for the worker's one `ModelManager`.
 */
import type { Llama } from 'node-llama-cpp';

/** Options of {@link LlamaRuntime}. */
export interface LlamaRuntimeOptions {
  /** `false`: CPU only (default). `'auto'`: use a GPU when node-llama-cpp finds a prebuilt binary for it. */
  gpu?: false | 'auto';
}

/** Lazily loaded `Llama` (never builds llama.cpp from source: `build: 'never'`). */
export class LlamaRuntime {
  private llama: Promise<Llama> | undefined;

  constructor(private readonly options: LlamaRuntimeOptions = {}) {}

  /** The shared `Llama`; the first call imports node-llama-cpp and loads the prebuilt binary. */
  get(): Promise<Llama> {
    this.llama ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
      getLlama({
        gpu: this.options.gpu ?? false,
        build: 'never',
        logLevel: LlamaLogLevel.error,
        progressLogs: false,
      }),
    );
    this.llama.catch(() => {
      this.llama = undefined;
    });
    return this.llama;
  }

  /** Disposes the `Llama` instance (and every model loaded through it) if it was created. */
  async dispose(): Promise<void> {
    const pending = this.llama;
    this.llama = undefined;
    if (pending) {
      await (await pending).dispose();
    }
  }
}
