/**
 * The workflow with the REAL pair engine behind the ticket job (the workflow suite uses a stand-in):
 * PGlite, BullMQ on Redis, the in-memory forge over a real bare git remote, a real Docker sandbox from
 * the warm pool, and one scripted model for PM, Architect, Tester and Developer. issue → spec PR →
 * /approve → one ticket → two red/green cycles in the sandbox → branch pushed → PR "Closes #t" with
 * the criteria table and cycle log from the engine's run record, `tandem/tdd` status on the pushed head,
 * model usage per role from `model_calls`, ticket in review with its label.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { events, runs } from '../../src/db/schema.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import { createEnginePairRunner } from '../../src/workflow/engine-pair-runner.js';
import type { PairRunner } from '../../src/workflow/pair-runner.js';
import { getRequest } from '../../src/workflow/request-store.js';
import { ticketsOfRequest } from '../../src/workflow/ticket-store.js';
import {
  base,
  comment,
  issueInfo,
  startHarness,
  until,
  type Harness,
} from '../workflow/harness.js';

const FIXTURES = 'test/fixtures/engine/calc';
const POLICY = `models:
  pm: { alias: script }
  architect: { alias: script }
  developer: { alias: script }
  tester: { alias: script }
budgets: { attemptsPerPhase: 2, cycles: 6 }
sandbox:
  test: [python3, -B, -m, pytest, -q, -p, no:cacheprovider, '--junitxml={junit}']
  testGlobs: ['tests/**']
  memoryMb: 512
  commandTimeoutSeconds: 60
`;

let provider: DockerSandboxProvider;
let h: Harness | undefined;

beforeAll(async () => {
  provider = new DockerSandboxProvider({
    logger: createLogger({ level: 'silent' }),
    poolSize: 1,
    workerId: `test-${randomUUID()}`,
  });
  await provider.start();
});

afterAll(async () => {
  await provider.close();
});

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('workflow on the real pair engine', () => {
  it('turns an approved spec into a pushed red/green branch and a PR built from the run record', async () => {
    const runner: { real?: PairRunner } = {};
    h = await startHarness({
      files: {
        '.github/tandem.yml': POLICY,
        '.gitignore': await readFile(`${FIXTURES}/gitignore.txt`, 'utf8'),
        'calc.py': await readFile(`${FIXTURES}/calc.py`, 'utf8'),
        'tests/test_add.py': await readFile(`${FIXTURES}/tests/test_add.py`, 'utf8'),
      },
      script: await readFile('test/start/fixtures/workflow-engine.yaml', 'utf8'),
      // The harness's database and models exist only once it has started.
      wrapPairs: () => ({ run: (input) => runner.real!.run(input) }),
    });
    const { forge, bare, database } = h;
    runner.real = createEnginePairRunner({
      db: database.db,
      models: h.models,
      sandboxes: provider,
    });

    const request = forge.issues.size + 1;
    forge.issues.set(request, { ...issueInfo(request, ['tandem']), author: 'alice' });
    await h.send({
      ...base(),
      type: 'issue.labeled',
      sender: { login: 'alice', bot: false },
      issue: issueInfo(request, ['tandem']),
      label: 'tandem',
    });
    const specPr = await until('spec PR', () =>
      [...forge.pulls.values()].find((p) => p.headRef === `tandem/spec-${request}`),
    );
    await until(
      'spec review',
      async () => (await getRequest(database.db, 1)).state === 'spec_review',
    );
    await h.send(comment(specPr.number, 'maria', '/approve', true));

    const [ticket] = await until(
      'ticket in review',
      async () => {
        const t = await ticketsOfRequest(database.db, 1);
        return t.length === 1 && t[0]!.state === 'review' ? t : undefined;
      },
      180_000,
    ).catch(async (error: unknown) => {
      // Say where it stopped: ticket, run phase and diagnosis, the last events.
      const state = {
        tickets: await ticketsOfRequest(database.db, 1),
        runs: await database.db.select().from(runs),
        events: (await database.db.select().from(events)).slice(-15).map((e) => [e.kind, e.data]),
      };
      throw new Error(`${String(error)}: ${JSON.stringify(state).slice(0, 6_000)}`);
    });
    const n = ticket!.issueNumber!;
    const pr = forge.pulls.get(ticket!.prNumber!)!;
    const log = (
      await execa('git', [
        '--git-dir',
        bare,
        'log',
        '--reverse',
        '--format=%s|%(trailers:key=Tandem-Role,valueonly,separator=)',
        `main..${pr.headRef}`,
      ])
    ).stdout.split('\n');
    expect(log).toEqual([
      `test(#${n}): multiply returns the product|tester`,
      `feat(#${n}): add multiply|developer`,
      `test(#${n}): subtract returns the difference|tester`,
      `feat(#${n}): add subtract|developer`,
    ]);
    const head = (await execa('git', ['--git-dir', bare, 'rev-parse', pr.headRef])).stdout.trim();
    expect(forge.statuses).toContainEqual({ sha: head, state: 'success', context: 'tandem/tdd' });
    expect(pr.body).toContain(`Closes #${n}`);
    expect(pr.body).toContain('multiply(a, b) returns the product of a and b');
    expect(pr.body).toMatch(/test_multiply/);
    expect(pr.body).toContain('## Red/green cycles');
    expect(pr.body).toMatch(/\| tester \|/);
    expect(pr.body).toMatch(/\| developer \|/);
    expect(forge.issues.get(n)?.labels).toContain('tandem:review');
  }, 300_000);
});
