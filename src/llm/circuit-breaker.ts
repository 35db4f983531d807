/**
 * A circuit breaker per alias, after Michael Nygard's pattern (Release It!, "Circuit Breaker"):
 * `closed` counts consecutive failures; at `failureThreshold` it opens and calls fail fast for
 * `cooldownMs`; then it is `half-open` and lets one trial call through: success closes it, failure
 * opens it again for another cooldown.
 */
import { CircuitOpenError } from '../errors/index.js';

/** Breaker settings. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open, in ms (default 30 000). */
  cooldownMs?: number;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** One alias's breaker. */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialRunning = false;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(
    readonly alias: string,
    options: CircuitBreakerOptions = {},
  ) {
    this.threshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) {
      return 'closed';
    }
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Call before each attempt. Throws `CircuitOpenError` while open, or while a half-open trial runs. */
  before(): void {
    const state = this.state;
    if (state === 'closed') {
      return;
    }
    if (state === 'half-open' && !this.trialRunning) {
      this.trialRunning = true;
      return;
    }
    const left = Math.max(0, (this.openedAt ?? 0) + this.cooldownMs - this.now());
    throw new CircuitOpenError(this.alias, left);
  }

  /** The attempt succeeded: the circuit closes. */
  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialRunning = false;
  }

  /** The attempt failed at the provider: counts towards opening (a failed trial reopens at once). */
  failure(): void {
    this.failures += 1;
    if (this.trialRunning || this.failures >= this.threshold) {
      this.openedAt = this.now();
    }
    this.trialRunning = false;
  }

  /** The attempt ended without saying anything about the provider (aborted): frees a trial slot. */
  neutral(): void {
    this.trialRunning = false;
  }
}
