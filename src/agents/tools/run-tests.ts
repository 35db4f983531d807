/**
 * `run_tests`: runs the suite in the sandbox, or a part of it (a test file or a test name) for fast
 * feedback. The full run at the end of a phase stays the engine's: a filtered run only informs the agent.
 */
import { z } from 'zod';
import { FileToolError } from '../../errors/index.js';
import { summarizeRun } from '../run-suite.js';
import { filteredTestCommand } from './test-filter.js';
import { defineTool, fail, type ToolContext } from './tool-context.js';

export const runTests = defineTool({
  name: 'run_tests',
  description:
    'Run the tests; filter: only a test file, or tests whose name matches. Gives the failing tests with messages and locations.',
  args: z.object({
    filter: z.string().min(1).optional(),
  }),
  async run(args, ctx) {
    let argv: string[] | undefined;
    if (args.filter !== undefined) {
      if (ctx.testCommand === undefined) {
        return fail(
          'filter_unsupported',
          'filtered runs are not available here; call run_tests without a filter',
        );
      }
      const built = await filteredTestCommand(ctx.testCommand, args.filter, () => packageJson(ctx));
      if ('unsupported' in built) {
        return fail('filter_unsupported', built.unsupported);
      }
      argv = built.argv;
    }
    const run = await ctx.runTests(argv ? { argv } : undefined);
    return {
      ok: true,
      status: run.status,
      summary: summarizeRun(run).text,
      ...(argv ? { filtered: argv.join(' ') } : {}),
      ...(run.reason ? { reason: run.reason } : {}),
      output: run.output,
    };
  },
});

async function packageJson(ctx: ToolContext): Promise<string | undefined> {
  try {
    return await ctx.files.readFile('package.json');
  } catch (error) {
    if (error instanceof FileToolError) {
      return undefined;
    }
    throw error;
  }
}
