#!/usr/bin/env node
/**
 * The `tandem` command line. Each subcommand lives in `src/cli/commands/<name>.ts` and exports a
 * `register(program)` function; this file only wires them together.
 *
 * Only the module of the command being run is loaded (all of them for `--help` or an unknown command):
 * `tandem server` must not load the agents, sandboxes and models that `run` or `eval` import, since every
 * module loaded stays resident in the long-running process.
 */
import { Command } from 'commander';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<{ register: Register }>> = {
  config: () => import('./commands/config.js'),
  eval: () => import('./commands/eval.js'),
  memory: () => import('./commands/memory.js'),
  migrate: () => import('./commands/migrate.js'),
  models: () => import('./commands/models.js'),
  run: () => import('./commands/run.js'),
  server: () => import('./commands/server.js'),
  start: () => import('./commands/start.js'),
  worker: () => import('./commands/worker.js'),
};

const program = new Command('tandem')
  .description('Self-hosted GitOps bot: issues in, test-first pull requests out')
  .showHelpAfterError();

const chosen = process.argv[2];
const load =
  chosen !== undefined && COMMANDS[chosen] ? [COMMANDS[chosen]] : Object.values(COMMANDS);
for (const module of await Promise.all(load.map((importModule) => importModule()))) {
  module.register(program);
}

await program.parseAsync(process.argv);
