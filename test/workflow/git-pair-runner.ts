/**
 * A test double of the pair engine behind the workflow's `PairRunner` port: on the real ticket branch it
 * commits a failing test (`test(#n)`) and then the implementation (`feat(#n)`), pushes both, and
 * returns a run record. It exists so the workflow can be tested before and apart from the engine
 * (which has its own suite); it is never used outside tests.
 */
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitWorkspace } from '../../src/git/git-workspace.js';
import type { PairJobInput, PairJobResult, PairRunner } from '../../src/workflow/pair-runner.js';

export function createGitPairRunner(): PairRunner & { runs: PairJobInput[] } {
  const runs: PairJobInput[] = [];
  return {
    runs,
    async run(input: PairJobInput): Promise<PairJobResult> {
      runs.push(input);
      if (input.signal.aborted) {
        return { status: 'stopped' };
      }
      const ws = await GitWorkspace.open({
        remote: input.remote,
        baseBranch: input.baseBranch,
        branch: input.branch,
        gitDir: join(input.jobDir, 'git'),
        workTree: join(input.jobDir, 'tree'),
      });
      const n = String(input.ticket.id);
      const trailers = (role: string, phase: string) => ({
        'Tandem-Ticket': n,
        'Tandem-Role': role,
        'Tandem-Model': 'script',
        'Tandem-Phase': phase,
        'Tandem-Cycle': String(runs.length),
      });
      const base = ws.baseCommit;
      await mkdir(join(ws.workTree, 'test'), { recursive: true });
      await writeFile(
        join(ws.workTree, 'test', `t${n}-${runs.length}.spec.js`),
        `// fails until src/t${n}.js exists\n`,
      );
      const red = (await ws.commit({
        subject: `test(#${n}): failing test`,
        trailers: trailers('tester', 'red'),
      }))!;
      await mkdir(join(ws.workTree, 'src'), { recursive: true });
      await writeFile(
        join(ws.workTree, 'src', `t${n}.js`),
        `export const v${runs.length} = ${runs.length};\n`,
      );
      const green = (await ws.commit({
        subject: `feat(#${n}): make it pass`,
        trailers: trailers('developer', 'green'),
      }))!;
      await ws.push();
      await rm(input.jobDir, { recursive: true, force: true });
      return {
        status: 'done',
        escalation: input.escalation,
        record: {
          ticket: { id: n, title: input.ticket.title },
          branch: input.branch,
          baseCommit: base,
          headCommit: green,
          status: 'done',
          criteria: input.ticket.acceptanceCriteria.map((text, i) => ({
            index: i + 1,
            text,
            status: 'met',
            tests: [`t${n} criterion ${i + 1}`],
            passing: true,
          })),
          cycles: [
            {
              cycle: 1,
              criterion: 0,
              red: { commit: red, failing: [`t${n} criterion 1`], summary: 'red' },
              green: { commit: green, summary: 'green' },
              attempts: {},
              testMs: 0,
            },
          ],
          finalRun: { status: 'passed', passed: 1, failed: 0, output: '' },
          usage: {},
          commits: [],
          durationMs: 1_000,
        },
      };
    },
  };
}
