import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import { redactSecrets } from '../errors/redact-secrets.js';
import { scrubLogObject } from './scrub-log-object.js';

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
  /** Exact secret values to scrub wherever they appear, e.g. `secretValues(serverConfig)`. */
  secrets?: readonly string[];
}

/**
 * Creates Tandem's one root logger: JSON lines, secrets redacted to `[REDACTED]`.
 * Everything else takes a child of it (`log.child({ deliveryId })`, `log.child({ jobId, repo, ticket })`).
 *
 * Three layers of redaction: pino's `redact` for {@link REDACT_PATHS}; a `formatters.log` pass
 * ({@link scrubLogObject}) that censors secret-named keys at ANY depth, serialises errors under any key
 * and runs `redactSecrets` over every string; and a `streamWrite` hook that runs `redactSecrets` over
 * the finished JSON line (message, child bindings, everything). `options.secrets` adds exact values
 * (e.g. `secretValues(serverConfig)`) to scrub; values containing `"` or a backslash are matched only
 * in the object pass, since JSON escapes them in the line.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const known = options.secrets ?? [];
  const config: LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    base: options.base ?? null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      log: (object) => scrubLogObject(object, known),
    },
    // formatters.log has already serialised every Error (under any key) and scrubbed it.
    serializers: { err: (error: unknown) => error },
    hooks: {
      // Last net over the finished line: the message, child bindings (pino does not pass those
      // through a formatter) and anything the object pass did not reach.
      streamWrite: (line) => redactSecrets(line, known),
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
