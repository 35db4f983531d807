/**
 * Types shared by `ModelManager` and `ModelSession`: options, usage totals, results, and the services a
 * session calls back into (kept here so neither file imports the other's implementation).
 */
import type { Budgets, ModelsPolicy, Role } from '../config/repo-policy.js';
import type { Logger } from '../log/logger.js';
import type { ModelCatalog, ModelEntry } from './catalog.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { ConcurrencyGate } from './concurrency-gate.js';
import type { TokenCounter } from './context/token-counter.js';
import type { ModelCallRecorder } from './model-call-recorder.js';
import type { ModelProvider, ModelResponse } from './types.js';

/** Tokens and dollars used, in all or by one role. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  /** US dollars. */
  costUsd: number;
  /** Provider attempts (retries and repairs included). */
  calls: number;
}

/** `ModelSession.usage()`: totals plus a breakdown per role. */
export interface SessionUsage extends UsageTotals {
  totalTokens: number;
  byRole: Record<Role, UsageTotals>;
}

/** A plain completion and the alias that answered. */
export interface CompletionResult {
  response: ModelResponse;
  alias: string;
}

/** A validated structured completion. */
export interface StructuredResult<T> extends CompletionResult {
  value: T;
  /** True when the first answer was invalid and the repair attempt fixed it. */
  repaired: boolean;
}

/** What fitting requests into the context did in a session (for logs, bench and tests). */
export interface ContextStats {
  /** Largest prompt sent, in counted tokens (tools included). */
  largestPromptTokens: number;
  /** Requests whose history was condensed (turns dropped or messages cut). */
  condensed: number;
  /** Retries after a server's context-length error. */
  contextRetries: number;
}

/** Retry of transient provider errors: exponential backoff with jitter. */
export interface RetryOptions {
  /** Attempts in all, first included (default 3). */
  attempts?: number;
  /** Delay before the second attempt, in ms (default 500); doubles per attempt. */
  baseDelayMs?: number;
  /** Cap on one delay, in ms (default 8 000). */
  maxDelayMs?: number;
}

/** What a session needs from a repository policy. */
export interface SessionPolicy {
  models: ModelsPolicy;
  budgets: Pick<Budgets, 'tokens' | 'costUsd'>;
}

/** Options of {@link ModelManager.forTicket}. */
export interface ForTicketOptions {
  policy: SessionPolicy;
  repositoryId?: number;
  ticketId?: number;
  /** The request a PM or Architect session works for (recorded on its `model_calls`). */
  requestId?: number;
  runId?: number;
  /** Slot priority of this ticket's calls, 1 (highest) to 10 (default 5). */
  priority?: number;
  /** Resume: position of each role in its chain (as stored in `tickets.escalation`). */
  escalation?: Partial<Record<Role, number>>;
  /** Resume: what the ticket already used (from the checkpoint or `model_calls`). */
  used?: Pick<SessionUsage, 'inputTokens' | 'outputTokens' | 'costUsd'>;
}

/** Internal services a session calls back into. */
export interface ManagerServices {
  readonly catalog: ModelCatalog;
  readonly gate: ConcurrencyGate;
  readonly recorder: ModelCallRecorder | undefined;
  readonly logger: Logger | undefined;
  readonly retry: Required<RetryOptions>;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  entry(alias: string): ModelEntry;
  /** The alias's provider as sessions call it: its `toolCalling` setting applied. */
  callable(alias: string): Promise<ModelProvider>;
  /** The alias's token counter (its tokenizer, or the calibrated estimate). */
  counter(alias: string): Promise<TokenCounter>;
  breaker(alias: string): CircuitBreaker;
}
