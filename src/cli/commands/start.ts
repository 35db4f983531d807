/**
 * `tandem start`: run the HTTP server and the workers in one process (the single-machine default). Configuration comes from the environment (docs/configuration.md); SIGTERM or
 * SIGINT shut it down gracefully (docs/deployment.md). Exit 0 after a shutdown, 1 when start-up fails
 * (the one error is printed on stderr).
 */
import type { Command } from 'commander';
import { runUntilSignal } from '../../../worker/run-tandem.js';

/** Registers `tandem start`. */
export function register(program: Command): void {
  program
    .command('start')
    .description('run the HTTP server and the workers in one process (the single-machine default)')
    .action(() => runUntilSignal('start'));
}
