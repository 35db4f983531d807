/**
 * `tandem server`: run the HTTP ingestion server only (webhooks, /healthz, GitHub App setup). Configuration comes from the environment (docs/configuration.md); SIGTERM or
 * SIGINT shut it down gracefully (docs/deployment.md). Exit 0 after a shutdown, 1 when start-up fails
 * (the one error is printed on stderr).
 */
import type { Command } from 'commander';
import { runUntilSignal } from '../../../worker/run-tandem.js';

/** Registers `tandem server`. */
export function register(program: Command): void {
  program
    .command('server')
    .description('run the HTTP ingestion server only (webhooks, /healthz, GitHub App setup)')
    .action(() => runUntilSignal('server'));
}
