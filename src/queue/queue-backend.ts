/**
 * The one interface Tandem uses to get BullMQ objects, whatever carries the jobs (Redis or PostgreSQL).
 * Callers never pass a connection: the backend supplies it, tracks every object it made and closes them
 * all, in order, in {@link QueueBackend.close}.
 */
import type {
  FlowProducer,
  FlowProducerOptions,
  IQueueBackend,
  Processor,
  Queue,
  QueueEvents,
  QueueEventsOptions,
  QueueOptions,
  WorkerOptions,
  Worker,
} from 'bullmq';

/** Which store carries the jobs: Redis (scale-out path) or BullMQ's PostgreSQL backend on Tandem's database. */
export type QueueBackendKind = 'redis' | 'postgres';

/** A BullMQ queue on either backend; `D` job data, `R` job result. */
export type TandemQueue<D = unknown, R = unknown> = Queue<
  D,
  R,
  string,
  D,
  R,
  string,
  IQueueBackend,
  unknown
>;
/** A BullMQ worker on either backend. */
export type TandemWorker<D = unknown, R = unknown> = Worker<
  D,
  R,
  string,
  IQueueBackend,
  never,
  unknown
>;
/** A BullMQ flow producer on either backend. */
export type TandemFlowProducer = FlowProducer<IQueueBackend, unknown>;
/** BullMQ queue events on either backend. */
export type TandemQueueEvents<R = unknown> = QueueEvents<R, IQueueBackend, unknown>;

/** Options accepted by the factories: BullMQ's own, minus the connection the backend supplies. */
export type TandemQueueOptions = Omit<QueueOptions, 'connection'>;
export type TandemWorkerOptions = Omit<WorkerOptions, 'connection'>;
export type TandemFlowProducerOptions = Omit<FlowProducerOptions, 'connection'>;
export type TandemQueueEventsOptions = Omit<QueueEventsOptions, 'connection'>;

/** Makes BullMQ objects bound to one backend and owns their lifetime. */
export interface QueueBackend {
  readonly kind: QueueBackendKind;
  /** Where the jobs live, for logs: `redis`, `postgres` (a server) or `pglite` (embedded, over its socket). */
  readonly description: 'redis' | 'postgres' | 'pglite';
  createQueue<D = unknown, R = unknown>(
    name: string,
    options?: TandemQueueOptions,
  ): TandemQueue<D, R>;
  /** Workers start at once unless `autorun: false`. The processor's third argument is an AbortSignal. */
  createWorker<D = unknown, R = unknown>(
    name: string,
    processor: Processor<D, R, string>,
    options?: TandemWorkerOptions,
  ): TandemWorker<D, R>;
  createFlowProducer(options?: TandemFlowProducerOptions): TandemFlowProducer;
  createQueueEvents<R = unknown>(
    name: string,
    options?: TandemQueueEventsOptions,
  ): TandemQueueEvents<R>;
  /**
   * Graceful shutdown: stops workers taking new jobs and waits for running ones to finish (BullMQ
   * `Worker.close()`), then closes queue events, flow producers and queues, then the connections this
   * backend opened (Redis client; or pg pool and the PGlite socket server). Never closes Tandem's
   * database handle (the caller owns it). Idempotent; objects created after it starts are refused.
   */
  close(): Promise<void>;
}
