/**
 * Tandem's Prometheus instruments (prom-client), all registered on ONE registry that the caller owns and
 * passes in: `tandem start` has one registry for both sides; `tandem server` and `tandem worker` each have
 * their own. The instruments here are driven by events (a delivery answered, a job finished, a model call
 * recorded, a slot taken, a command run); gauges read from a source at scrape time (database, queues,
 * sandbox pool) are added by `collect-*.ts` next to this file. docs/deployment.md ("Monitoring") lists
 * every metric; `deploy/grafana/tandem.json` charts them.
 *
 * Naming follows Prometheus's conventions (https://prometheus.io/docs/practices/naming/): a `tandem_`
 * prefix, base units (seconds, dollars), `_total` on counters. Label values are bounded sets (forge,
 * event names after authentication, queue, job kind, alias, role, outcome): never a repository, ticket or
 * user name, so the endpoint names no repository.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Buckets for model call latency and slot waits, in seconds (local models: seconds to minutes). */
const MODEL_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Buckets for queue waits and job durations, in seconds (a pair job may run an hour). */
const JOB_SECONDS = [0.01, 0.05, 0.25, 1, 5, 15, 60, 300, 900, 1_800, 3_600, 7_200];
/** Buckets for sandbox command latency, in seconds (a test run may take minutes). */
const EXEC_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Buckets for the share of a per-ticket budget a pair run used (1 = all of it). */
const BUDGET_RATIO = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 1.25];

/** The event-driven instruments of one process. */
export interface TandemMetrics {
  /** The registry every instrument is registered on; `/metrics` renders it. */
  registry: Registry;
  /** Webhook deliveries answered: forge, event (`unauthenticated` before the signature is good), outcome, HTTP status. */
  deliveries: Counter<'forge' | 'event' | 'outcome' | 'status'>;
  /** Time a job waited in its queue before its first attempt started, in seconds. */
  queueWait: Histogram<'queue' | 'kind'>;
  /** Job attempts that ended: `completed`, `failed` (for good) or `retried` (another attempt follows). */
  jobs: Counter<'queue' | 'kind' | 'state'>;
  /** Duration of one job attempt, in seconds. */
  jobDuration: Histogram<'queue' | 'kind'>;
  /** Model calls recorded (every provider attempt, as in `model_calls`), by outcome. */
  modelCalls: Counter<'alias' | 'role' | 'outcome'>;
  /** Model tokens, `direction` `input` or `output`. */
  modelTokens: Counter<'alias' | 'role' | 'direction'>;
  /** Provider latency of calls that were answered, in seconds. */
  modelLatency: Histogram<'alias' | 'role'>;
  /** Cost of model calls, in US dollars (catalog prices; 0 for local models). */
  modelCost: Counter<'alias' | 'role'>;
  /** Concurrency slots of an alias (its catalog `maxConcurrent`). */
  modelSlots: Gauge<'alias'>;
  /** Slots of an alias held by a call now. */
  modelSlotsBusy: Gauge<'alias'>;
  /** Calls waiting for a slot of an alias now. */
  modelSlotWaiters: Gauge<'alias'>;
  /** How long a call waited for its slot, in seconds. */
  modelSlotWait: Histogram<'alias'>;
  /** Sandboxes handed to a job and not destroyed yet. */
  sandboxesRunning: Gauge;
  /** Sandboxes handed out, `source` `warm` (from the pool) or `cold` (started on demand). */
  sandboxesAcquired: Counter<'source'>;
  /** Latency of one command in a sandbox, in seconds, by how it ended. */
  sandboxExec: Histogram<'outcome'>;
  /** Share of each per-ticket budget a finished pair run used (`tokens`, `cost`, `minutes`, `cycles`). */
  budgetUsed: Histogram<'resource'>;
  /** Pair runs blocked because a per-ticket budget ran out. */
  budgetExhausted: Counter<'resource'>;
}

/** Options of {@link createTandemMetrics}. */
export interface TandemMetricsOptions {
  /** The process's registry (default: a new one). */
  registry?: Registry;
  /**
   * Also register prom-client's process metrics (`process_*`, `nodejs_*`: CPU, memory, event-loop lag,
   * garbage collection) on the registry (default true).
   */
  processMetrics?: boolean;
}

/** Creates and registers the instruments. Call once per registry (names must be unique in one). */
export function createTandemMetrics(options: TandemMetricsOptions = {}): TandemMetrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
  }
  const registers = [registry];
  return {
    registry,
    deliveries: new Counter({
      name: 'tandem_webhook_deliveries_total',
      help: 'Webhook deliveries answered, by forge, event, outcome (accepted, duplicate, ignored, rejected, aborted) and HTTP status.',
      labelNames: ['forge', 'event', 'outcome', 'status'],
      registers,
    }),
    queueWait: new Histogram({
      name: 'tandem_queue_wait_seconds',
      help: 'Time a job waited in its queue before its first attempt started, in seconds.',
      labelNames: ['queue', 'kind'],
      buckets: JOB_SECONDS,
      registers,
    }),
    jobs: new Counter({
      name: 'tandem_jobs_total',
      help: 'Job attempts that ended, by queue, job kind and state (completed, failed for good, retried).',
      labelNames: ['queue', 'kind', 'state'],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'tandem_job_duration_seconds',
      help: 'Duration of one job attempt, in seconds.',
      labelNames: ['queue', 'kind'],
      buckets: JOB_SECONDS,
      registers,
    }),
    modelCalls: new Counter({
      name: 'tandem_model_calls_total',
      help: 'Model calls (provider attempts), by alias, role and outcome.',
      labelNames: ['alias', 'role', 'outcome'],
      registers,
    }),
    modelTokens: new Counter({
      name: 'tandem_model_tokens_total',
      help: 'Model tokens, by alias, role and direction (input, output).',
      labelNames: ['alias', 'role', 'direction'],
      registers,
    }),
    modelLatency: new Histogram({
      name: 'tandem_model_call_duration_seconds',
      help: 'Provider latency of answered model calls, in seconds.',
      labelNames: ['alias', 'role'],
      buckets: MODEL_SECONDS,
      registers,
    }),
    modelCost: new Counter({
      name: 'tandem_model_cost_usd_total',
      help: 'Cost of model calls in US dollars, from the catalog prices (0 for local models).',
      labelNames: ['alias', 'role'],
      registers,
    }),
    modelSlots: new Gauge({
      name: 'tandem_model_slots',
      help: 'Concurrency slots of a model alias in this process (catalog maxConcurrent).',
      labelNames: ['alias'],
      registers,
    }),
    modelSlotsBusy: new Gauge({
      name: 'tandem_model_slots_busy',
      help: 'Slots of a model alias held by a call now.',
      labelNames: ['alias'],
      registers,
    }),
    modelSlotWaiters: new Gauge({
      name: 'tandem_model_slot_waiters',
      help: 'Model calls waiting for a slot of their alias now.',
      labelNames: ['alias'],
      registers,
    }),
    modelSlotWait: new Histogram({
      name: 'tandem_model_slot_wait_seconds',
      help: 'How long a model call waited for a slot of its alias, in seconds.',
      labelNames: ['alias'],
      buckets: MODEL_SECONDS,
      registers,
    }),
    sandboxesRunning: new Gauge({
      name: 'tandem_sandboxes_running',
      help: 'Sandboxes handed to a job and not destroyed yet.',
      registers,
    }),
    sandboxesAcquired: new Counter({
      name: 'tandem_sandboxes_acquired_total',
      help: 'Sandboxes handed to a job, by source (warm: from the pool, cold: started on demand).',
      labelNames: ['source'],
      registers,
    }),
    sandboxExec: new Histogram({
      name: 'tandem_sandbox_exec_duration_seconds',
      help: 'Latency of one command in a sandbox, in seconds, by outcome (ok, nonzero, timeout, oom, disk_limit, error).',
      labelNames: ['outcome'],
      buckets: EXEC_SECONDS,
      registers,
    }),
    budgetUsed: new Histogram({
      name: 'tandem_ticket_budget_used_ratio',
      help: 'Share of a per-ticket budget (tokens, cost, minutes, cycles) a finished pair run used; 1 is all of it.',
      labelNames: ['resource'],
      buckets: BUDGET_RATIO,
      registers,
    }),
    budgetExhausted: new Counter({
      name: 'tandem_budget_exhausted_total',
      help: 'Pair runs blocked because a per-ticket budget ran out, by resource.',
      labelNames: ['resource'],
      registers,
    }),
  };
}
