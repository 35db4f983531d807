/**
 * `ModelManager`: the one way agents reach models. It owns the providers (one per catalog alias, created
 * on first use), the per-alias concurrency slots and circuit breakers, retries with backoff, and the call
 * recorder; `forTicket()` gives a {@link ModelSession} that applies one repository's policy and one
 * ticket's budgets. See docs/models.md ("ModelManager") for the calling contract.
 */
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ModelCatalog, ModelEntry } from './catalog.js';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from './circuit-breaker.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import { FairShareSlots } from './fair-share-slots.js';
import { TokenCounter } from './context/token-counter.js';
import type { ModelCallRecorder } from './model-call-recorder.js';
import {
  ModelSession,
  type ForTicketOptions,
  type ManagerServices,
  type RetryOptions,
} from './model-session.js';
import { createProviderFactory, type ProviderFactory } from './provider-factory.js';
import { ToolCallingProvider } from './tool-calls/tool-calling-provider.js';
import type { ModelProvider } from './types.js';
import { validatePolicyModels } from './validate-policy-models.js';
import { abortableSleep } from './abortable-sleep.js';

/** Collaborators and settings of {@link ModelManager}. */
export interface ModelManagerOptions {
  catalog: ModelCatalog;
  /** Receives one row per provider attempt (default: none). */
  recorder?: ModelCallRecorder;
  logger?: Logger;
  /** Builds the provider of an alias (default: the real providers, llama.cpp loaded lazily). */
  providerFactory?: ProviderFactory;
  /**
   * Slot hand-out (default: in-process {@link FairShareSlots} sized by each alias's `maxConcurrent`,
   * shared between repositories by the weight of their priority).
   */
  gate?: ConcurrencyGate;
  retry?: RetryOptions;
  breaker?: CircuitBreakerOptions;
  /** Backoff sleep, abortable (tests pass a fake). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1) (default `Math.random`). */
  random?: () => number;
}

/** Owns providers, slots, breakers and recording for a process (one per worker). */
export class ModelManager implements ManagerServices {
  readonly catalog: ModelCatalog;
  readonly gate: ConcurrencyGate;
  readonly recorder: ModelCallRecorder | undefined;
  readonly logger: Logger | undefined;
  readonly retry: Required<RetryOptions>;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  private readonly factory: ProviderFactory;
  private readonly providers = new Map<string, Promise<ModelProvider>>();
  private readonly callables = new Map<string, Promise<ModelProvider>>();
  private readonly counters = new Map<string, Promise<TokenCounter>>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly breakerOptions: CircuitBreakerOptions;

  constructor(options: ModelManagerOptions) {
    this.catalog = options.catalog;
    this.recorder = options.recorder;
    this.logger = options.logger;
    this.factory =
      options.providerFactory ??
      createProviderFactory({
        modelsDir: options.catalog.modelsDir,
        ...(options.catalog.huggingFaceEndpoint === undefined
          ? {}
          : { huggingFaceEndpoint: options.catalog.huggingFaceEndpoint }),
        ...(options.logger ? { logger: options.logger } : {}),
      });
    this.gate = options.gate ?? new FairShareSlots({ limits: slotLimits(options.catalog) });
    this.retry = {
      attempts: options.retry?.attempts ?? 3,
      baseDelayMs: options.retry?.baseDelayMs ?? 500,
      maxDelayMs: options.retry?.maxDelayMs ?? 8_000,
    };
    this.breakerOptions = options.breaker ?? {};
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
  }

  /**
   * A session for one ticket (or one PM/Architect job). Throws `ConfigError` (source `models policy`)
   * when the policy names an alias the catalog lacks or a remote alias under `privacy: local-only`.
   */
  forTicket(options: ForTicketOptions): ModelSession {
    const issues = validatePolicyModels(options.policy.models, this.catalog);
    if (issues.length > 0) {
      throw new ConfigError('models policy', issues);
    }
    return new ModelSession(this, options);
  }

  /** The catalog entry of `alias`; throws `ConfigError` when the catalog has no such alias. */
  entry(alias: string): ModelEntry {
    const entry = this.catalog.models[alias];
    if (entry === undefined) {
      throw new ConfigError('models policy', [{ path: alias, message: 'unknown model alias' }]);
    }
    return entry;
  }

  /** The provider of `alias`, created once (concurrent first calls share the creation). */
  provider(alias: string): Promise<ModelProvider> {
    return memo(this.providers, alias, () => this.factory(alias, this.entry(alias)));
  }

  /**
   * The provider of `alias` wrapped for sessions: the alias's `toolCalling` setting applied (see
   * `ToolCallingProvider`), one per alias so a switch to the text protocol holds for the process.
   */
  callable(alias: string): Promise<ModelProvider> {
    return memo(this.callables, alias, async () => {
      const mode = this.entry(alias).toolCalling;
      const inner = await this.provider(alias);
      return new ToolCallingProvider(inner, {
        mode,
        ...(this.logger ? { logger: this.logger } : {}),
      });
    });
  }

  /** The token counter of `alias`: its provider's tokenizer when it has one, else the calibrated estimate. */
  counter(alias: string): Promise<TokenCounter> {
    return memo(this.counters, alias, async () => {
      const p = await this.provider(alias);
      const tokenize = p.countTokens?.bind(p);
      return new TokenCounter({
        ...(tokenize ? { tokenize } : {}),
        onTokenizerError: (err) =>
          this.logger?.warn({ err, alias }, 'tokenizer failed; counting tokens by estimate'),
      });
    });
  }

  /** The circuit breaker of `alias`. */
  breaker(alias: string): CircuitBreaker {
    let b = this.breakers.get(alias);
    if (b === undefined) {
      b = new CircuitBreaker(alias, this.breakerOptions);
      this.breakers.set(alias, b);
    }
    return b;
  }

  /** Breaker state of `alias`, for `/status` and metrics. */
  circuitState(alias: string): CircuitState {
    return this.breaker(alias).state;
  }

  /** Closes every provider (unloads embedded models, disposes llama.cpp). Unusable afterwards. */
  async close(): Promise<void> {
    const all = [...this.providers.values()];
    this.providers.clear();
    this.callables.clear();
    this.counters.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
    await this.factory.close?.();
  }
}

/** Concurrency slots per alias: each catalog entry's `maxConcurrent` (the default gate's limits). */
export function slotLimits(catalog: ModelCatalog): Record<string, number> {
  return Object.fromEntries(Object.entries(catalog.models).map(([a, e]) => [a, e.maxConcurrent]));
}

/** The value of `key` in `cache`, created once by `create` (concurrent first calls share it); a failure is forgotten. */
function memo<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  create: () => Promise<T>,
): Promise<T> {
  const cached = cache.get(key);
  if (cached !== undefined) {
    return cached;
  }
  const created = create();
  cache.set(key, created);
  created.catch(() => cache.delete(key));
  return created;
}
