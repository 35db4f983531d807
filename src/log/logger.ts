import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino redacts in every log object (fast-redact syntax). Covers the places secrets travel:
 * HTTP headers, tokens and keys in option objects, connection strings, and environment dumps.
 */
export const REDACT_PATHS: readonly string[] = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'privateKey',
  '*.privateKey',
  'webhookSecret',
  '*.webhookSecret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-hub-signature-256"]',
  'headers["x-gitea-signature"]',
  'connectionString',
  '*.connectionString',
  'env.GITEA_TOKEN',
  'env.WEBHOOK_SECRET',
  'env.PRIVATE_KEY',
  'env.OPENAI_API_KEY',
];

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** pino level; defaults to `LOG_LEVEL` or `info`. */
  level?: string;
  /** Where lines go (tests pass a buffer); defaults to stdout. */
  destination?: DestinationStream;
  /** Static fields on every line, e.g. `{ process: 'worker' }`. */
  base?: Record<string, unknown>;
}

/**
 * Creates Tandem's one root logger: JSON lines, secrets redacted to `[REDACTED]`.
 * Everything else takes a child of it (`log.child({ deliveryId })`, `log.child({ jobId, repo, ticket })`).
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    base: options.base ?? null,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
