/**
 * One ticket's (or one PM/Architect job's) view of the models: role → alias along the escalation chain,
 * per-ticket token and cost budgets, structured output with one repair attempt. Created by
 * `ModelManager.forTicket()`.
 */
import { costBudgetExhausted, tokenBudgetExhausted } from './budget-rule.js';
import type { z } from 'zod';
import { ROLES, type Role } from '../config/repo-policy.js';
import {
  BudgetExceededError,
  ContextLengthExceededError,
  InvalidModelOutputError,
  ModelCallAbortedError,
  ModelCallError,
  TandemError,
} from '../errors/index.js';
import type { ModelEntry } from './catalog.js';
import { prepareRequest, type PreparedRequest } from './context/prepare-request.js';
import type { ModelCallOutcome } from './model-call-recorder.js';
import type {
  CompletionResult,
  ContextStats,
  ForTicketOptions,
  ManagerServices,
  SessionUsage,
  StructuredResult,
  UsageTotals,
} from './model-session-types.js';
import { parseJsonAnswer } from './parse-json-answer.js';
import { costOf, repairPrompt, toJsonSchema } from './structured-output.js';
import type { ModelRequest, ModelResponse } from './types.js';

export type {
  CompletionResult,
  ContextStats,
  ForTicketOptions,
  ManagerServices,
  RetryOptions,
  SessionPolicy,
  SessionUsage,
  StructuredResult,
  UsageTotals,
} from './model-session-types.js';
export { costOf, repairPrompt, toJsonSchema } from './structured-output.js';

const zero = (): UsageTotals => ({ inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 });

/** Condensed retries after a server's context-length error, and how much smaller each one is. */
const CONTEXT_RETRIES = 2;
const CONTEXT_SHRINK = 0.75;

/** See the module comment. Not thread-safe across processes; one session per running job. */
export class ModelSession {
  private readonly position: Record<Role, number>;
  private readonly totals: UsageTotals;
  private readonly byRole: Record<Role, UsageTotals>;
  private readonly stats: ContextStats = {
    largestPromptTokens: 0,
    condensed: 0,
    contextRetries: 0,
  };

  constructor(
    private readonly services: ManagerServices,
    private readonly options: ForTicketOptions,
  ) {
    this.position = Object.fromEntries(
      ROLES.map((r) => [r, Math.min(options.escalation?.[r] ?? 0, this.chain(r).length - 1)]),
    ) as Record<Role, number>;
    this.totals = { ...zero(), ...options.used };
    this.byRole = Object.fromEntries(ROLES.map((r) => [r, zero()])) as Record<Role, UsageTotals>;
  }

  /** The alias `role` uses now. */
  currentAlias(role: Role): string {
    const chain = this.chain(role);
    return chain[this.position[role]] ?? chain[0] ?? '';
  }

  /** Moves `role` to the next alias of its chain and returns it, or null when the chain is exhausted. */
  escalate(role: Role): string | null {
    if (this.position[role] + 1 >= this.chain(role).length) {
      return null;
    }
    this.position[role] += 1;
    return this.currentAlias(role);
  }

  /** Chain positions per role, to persist in `tickets.escalation` and pass back on resume. */
  escalationState(): Record<Role, number> {
    return { ...this.position };
  }

  /** What fitting requests into the context did so far. */
  contextStats(): ContextStats {
    return { ...this.stats };
  }

  /** What this session (plus `used` on resume) consumed. */
  usage(): SessionUsage {
    const byRole = Object.fromEntries(ROLES.map((r) => [r, { ...this.byRole[r] }])) as Record<
      Role,
      UsageTotals
    >;
    return {
      ...this.totals,
      totalTokens: this.totals.inputTokens + this.totals.outputTokens,
      byRole,
    };
  }

  /**
   * One completion for `role` on its current alias. Waits for a slot (by the session's priority),
   * retries transient errors with backoff, records every attempt.
   * @throws BudgetExceededError before the call when the ticket's tokens or dollars are used up
   * @throws CircuitOpenError when the alias's breaker is open
   * @throws ModelCallError when the provider keeps failing (or fails permanently)
   * @throws ModelCallAbortedError when `request.signal` aborts
   */
  async complete(role: Role, request: ModelRequest): Promise<CompletionResult> {
    const alias = this.currentAlias(role);
    const { response } = await this.call(role, alias, request, () => []);
    return { response, alias };
  }

  /**
   * A completion whose answer must match `schema`: the request carries its JSON Schema (unless
   * `request.jsonSchema` is given), the answer (reasoning excluded) is parsed and validated; an invalid
   * answer gets one repair attempt that shows the model the validation error.
   * @throws InvalidModelOutputError when the repaired answer is still invalid (plus `complete`'s errors)
   */
  async completeStructured<T>(
    role: Role,
    request: ModelRequest,
    schema: z.ZodType<T>,
  ): Promise<StructuredResult<T>> {
    const alias = this.currentAlias(role);
    const jsonSchema = request.jsonSchema ?? toJsonSchema(schema);
    let value: T | undefined;
    const check = (r: ModelResponse): string[] => {
      const json =
        r.json !== undefined ? { ok: true as const, value: r.json } : parseJsonAnswer(r.text);
      if (!json.ok) {
        return [json.error];
      }
      const parsed = schema.safeParse(json.value);
      if (parsed.success) {
        value = parsed.data;
        return [];
      }
      return parsed.error.issues.map(
        (i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`,
      );
    };
    const first = await this.call(role, alias, { ...request, jsonSchema }, check);
    if (first.issues.length === 0) {
      return { value: value as T, response: first.response, alias, repaired: false };
    }
    const repair: ModelRequest = {
      ...request,
      jsonSchema,
      messages: [
        ...request.messages,
        { role: 'assistant', content: first.response.text },
        { role: 'user', content: repairPrompt(first.issues) },
      ],
    };
    const second = await this.call(role, alias, repair, check);
    if (second.issues.length === 0) {
      return { value: value as T, response: second.response, alias, repaired: true };
    }
    throw new InvalidModelOutputError(alias, second.issues, second.response.text);
  }

  private chain(role: Role): string[] {
    const r = this.options.policy.models[role];
    return [r.alias, ...r.escalation];
  }

  private checkBudget(entry: ModelEntry): void {
    const { tokens, costUsd } = this.options.policy.budgets;
    const used = this.totals.inputTokens + this.totals.outputTokens;
    if (tokenBudgetExhausted(used, tokens)) {
      throw new BudgetExceededError('tokens', used, tokens);
    }
    const paid = entry.priceInPerMTok > 0 || entry.priceOutPerMTok > 0;
    if (costBudgetExhausted(this.totals.costUsd, costUsd, paid)) {
      throw new BudgetExceededError('costUsd', this.totals.costUsd, costUsd);
    }
  }

  /**
   * Budget check, then attempts with retry; `check` returns validation issues (empty = valid). Each
   * attempt sends the request fitted into the alias's context (`prepareRequest`); a server's
   * context-length error is answered by up to two retries condensed to a smaller share of the context.
   */
  private async call(
    role: Role,
    alias: string,
    request: ModelRequest,
    check: (r: ModelResponse) => string[],
  ): Promise<{ response: ModelResponse; issues: string[] }> {
    const s = this.services;
    const entry = s.entry(alias);
    this.checkBudget(entry);
    const provider = await s.callable(alias);
    const counter = await s.counter(alias);
    const breaker = s.breaker(alias);
    const { signal } = request;
    let shrink = 1;
    let contextRetries = 0;
    for (let attempt = 1; ; attempt += 1) {
      try {
        breaker.before();
      } catch (error) {
        await this.record(role, alias, entry, 'circuit_open', undefined, error);
        throw error;
      }
      let release: (() => void) | undefined;
      // Per-attempt wall-clock limit; a plain timer (cleared below) rather than AbortSignal.timeout,
      // which would keep one pending timer per call for the whole timeout.
      const timeout = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let error: unknown;
      let prepared: PreparedRequest | undefined;
      try {
        prepared = await prepareRequest(alias, entry, counter, request, shrink);
        this.noteFit(alias, prepared);
        release = await s.gate.acquire(alias, {
          priority: this.options.priority ?? 5,
          ...(signal ? { signal } : {}),
        });
        timer = setTimeout(() => timeout.abort(), entry.timeoutSeconds * 1_000);
        const response = await provider.complete({
          ...prepared.request,
          role,
          signal: signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal,
        });
        clearTimeout(timer);
        release();
        breaker.success();
        counter.observe(prepared.rawTokens, response.usage.inputTokens);
        const issues = check(response);
        this.add(role, entry, response);
        await this.record(role, alias, entry, issues.length ? 'invalid_output' : 'ok', response);
        return { response, issues };
      } catch (raw) {
        clearTimeout(timer);
        release?.();
        error =
          raw instanceof ModelCallAbortedError && timeout.signal.aborted && !signal?.aborted
            ? new ModelCallError(
                alias,
                `timed out after ${entry.timeoutSeconds} s`,
                true,
                undefined,
                {
                  cause: raw,
                },
              )
            : raw;
      }
      if (error instanceof ContextLengthExceededError) {
        // The provider answered: a prompt that is too long says nothing about the alias's health.
        breaker.neutral();
        if (prepared === undefined) {
          throw error; // fitting itself failed: a retry would fail the same way
        }
        await this.record(role, alias, entry, 'error', undefined, error);
        if (contextRetries >= CONTEXT_RETRIES || signal?.aborted) {
          throw error;
        }
        contextRetries += 1;
        this.stats.contextRetries += 1;
        if (error.details.promptTokens !== undefined) {
          counter.observe(prepared.rawTokens, error.details.promptTokens);
        }
        shrink *= CONTEXT_SHRINK;
        s.logger?.warn(
          { alias, role, promptTokens: prepared.promptTokens, server: error.details },
          'context length exceeded, retrying condensed',
        );
        attempt -= 1;
        continue;
      }
      const aborted = error instanceof ModelCallAbortedError;
      if (aborted) {
        breaker.neutral();
      } else {
        breaker.failure();
      }
      const outcome: ModelCallOutcome =
        (aborted && 'aborted') || (timeout.signal.aborted && 'timeout') || 'error';
      await this.record(role, alias, entry, outcome, undefined, error);
      if (
        !(error instanceof ModelCallError && error.transient) ||
        attempt >= s.retry.attempts ||
        signal?.aborted
      ) {
        throw error;
      }
      const delay =
        Math.min(s.retry.maxDelayMs, s.retry.baseDelayMs * 2 ** (attempt - 1)) *
        (0.5 + s.random() / 2);
      // What failed, so an operator can tell a busy server (429, 503) from a wrong URL or a dead one.
      s.logger?.warn(
        {
          alias,
          role,
          attempt,
          of: s.retry.attempts,
          delayMs: Math.round(delay),
          ...(error.status === undefined ? {} : { status: error.status }),
          error: error.message,
        },
        'model call failed, retrying',
      );
      try {
        await s.sleep(delay, signal);
      } catch (cause) {
        throw new ModelCallAbortedError(alias, { cause });
      }
    }
  }

  private noteFit(alias: string, prepared: PreparedRequest): void {
    const { fit, promptTokens } = prepared;
    this.stats.largestPromptTokens = Math.max(this.stats.largestPromptTokens, promptTokens);
    if (fit.dropped > 0 || fit.cut > 0) {
      this.stats.condensed += 1;
      this.services.logger?.info(
        { alias, promptTokens, dropped: fit.dropped, cut: fit.cut, collapsed: fit.collapsed },
        'context condensed',
      );
    }
  }

  private add(role: Role, entry: ModelEntry, response: ModelResponse): void {
    const cost = costOf(entry, response.usage);
    for (const t of [this.totals, this.byRole[role]]) {
      t.inputTokens += response.usage.inputTokens;
      t.outputTokens += response.usage.outputTokens;
      t.costUsd += cost;
      t.calls += 1;
    }
  }

  private async record(
    role: Role,
    alias: string,
    entry: ModelEntry,
    outcome: ModelCallOutcome,
    response?: ModelResponse,
    error?: unknown,
  ): Promise<void> {
    if (response === undefined) {
      this.totals.calls += 1;
      this.byRole[role].calls += 1;
    }
    const recorder = this.services.recorder;
    if (recorder === undefined) {
      return;
    }
    const { repositoryId, ticketId, runId } = this.options;
    try {
      await recorder.record({
        alias,
        provider: entry.provider,
        model: entry.model,
        role,
        ...(repositoryId === undefined ? {} : { repositoryId }),
        ...(ticketId === undefined ? {} : { ticketId }),
        ...(runId === undefined ? {} : { runId }),
        inputTokens: response?.usage.inputTokens ?? 0,
        outputTokens: response?.usage.outputTokens ?? 0,
        latencyMs: response?.latencyMs ?? 0,
        costUsd: response ? costOf(entry, response.usage) : 0,
        outcome,
        ...(error === undefined
          ? {}
          : { errorCode: error instanceof TandemError ? error.code : 'unexpected' }),
      });
    } catch (err) {
      // Recording must never fail or retry a model call.
      this.services.logger?.warn({ err, alias }, 'model call could not be recorded');
    }
  }
}
