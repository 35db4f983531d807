/**
 * `tandem worker`: run the BullMQ workers only (PM, Architect, pair jobs). Configuration comes from the environment (docs/configuration.md); SIGTERM or
 * SIGINT shut it down gracefully (docs/deployment.md). Exit 0 after a shutdown, 1 when start-up fails
 * (the one error is printed on stderr).
 */
import type { Command } from 'commander';
import { runUntilSignal } from '../../../worker/run-tandem.js';

/** Registers `tandem worker`. */
export function register(program: Command): void {
  program
    .command('worker')
    .description('run the BullMQ workers only (PM, Architect, pair jobs)')
    .action(() => runUntilSignal('worker'));
}
