#!/usr/bin/env node
/**
 * The `tandem` command line. Each subcommand lives in `src/cli/commands/<name>.ts` and exports a
 * `register(program)` function; this file only wires them together.
 */
import { Command } from 'commander';
import { register as registerConfig } from './commands/config.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerMemory } from './commands/memory.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerModels } from './commands/models.js';
import { register as registerRun } from './commands/run.js';
import { register as registerServer } from './commands/server.js';
import { register as registerStart } from './commands/start.js';
import { register as registerWorker } from './commands/worker.js';

const program = new Command('tandem')
  .description('Self-hosted GitOps bot: issues in, test-first pull requests out')
  .showHelpAfterError();

registerConfig(program);
registerEval(program);
registerMemory(program);
registerMigrate(program);
registerModels(program);
registerRun(program);
registerServer(program);
registerStart(program);
registerWorker(program);

await program.parseAsync(process.argv);
