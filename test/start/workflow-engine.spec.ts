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
import { eq, sql } from 'drizzle-orm';
import { events, modelCalls, runs } from '../../src/db/schema.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { DockerSandboxProvider } from '../../src/sandbox/docker-sandbox-provider.js';
import type { ExecOptions, SandboxProvider } from '../../src/sandbox/types.js';
import { createEnginePairRunner } from '../../src/workflow/tickets/engine-pair-runner.js';
import type { PairRunner } from '../../src/workflow/tickets/pair-runner.js';
import { getRequest } from '../../src/workflow/requests/request-store.js';
import { ticketsOfRequest, type TicketRow } from '../../src/workflow/tickets/ticket-store.js';
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

/** Starts the harness on the calc fixture with `sandboxes` behind the real engine runner. */
async function startOnCalc(sandboxes: Pick<SandboxProvider, 'acquire'>): Promise<Harness> {
  const runner: { real?: PairRunner } = {};
  const x = await startHarness({
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
  runner.real = createEnginePairRunner({ db: x.database.db, models: x.models, sandboxes });
  return x;
}

/** Files the request, approves its spec and waits for the one ticket in review (180 s). */
async function approveAndReview(x: Harness): Promise<TicketRow> {
  const { forge, database } = x;
  const request = forge.issues.size + 1;
  forge.issues.set(request, { ...issueInfo(request, ['tandem']), author: 'alice' });
  await x.send({
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
  await x.send(comment(specPr.number, 'maria', '/approve', true));
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
  return ticket!;
}

/** `<subject>|<role>` of the ticket branch's commits, oldest first. */
async function history(bare: string, head: string): Promise<string[]> {
  const { stdout } = await execa('git', [
    '--git-dir',
    bare,
    'log',
    '--reverse',
    '--format=%s|%(trailers:key=Tandem-Role,valueonly,separator=)',
    `main..${head}`,
  ]);
  return stdout.split('\n');
}

const twoCycles = (n: number): string[] => [
  `test(#${n}): multiply returns the product|tester`,
  `feat(#${n}): add multiply|developer`,
  `test(#${n}): subtract returns the difference|tester`,
  `feat(#${n}): add subtract|developer`,
];

describe('workflow on the real pair engine', () => {
  it('turns an approved spec into a pushed red/green branch and a PR built from the run record', async () => {
    h = await startOnCalc(provider);
    const { forge, bare } = h;
    const ticket = await approveAndReview(h);
    const n = ticket.issueNumber!;
    const pr = forge.pulls.get(ticket.prNumber!)!;
    expect(await history(bare, pr.headRef)).toEqual(twoCycles(n));
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

  it('finishes the ticket when its job dies in the middle of a phase and BullMQ retries it', async () => {
    // The sandbox dies once: on the first command after the developer wrote calc.py (the green
    // step's test run), as a Docker exec lost on the socket would. The job throws, BullMQ retries it
    // (2 s backoff), and the engine resumes green-1 from its checkpoint in a fresh sandbox.
    let armed = false;
    let failures = 0;
    const flaky: Pick<SandboxProvider, 'acquire'> = {
      async acquire(request) {
        const sandbox = await provider.acquire(request);
        return new Proxy(sandbox, {
          get(target, key) {
            if (key === 'writeFile') {
              return async (path: string, content: string) => {
                await target.writeFile(path, content);
                armed ||= path === 'calc.py' && failures === 0;
              };
            }
            if (key === 'exec') {
              return (argv: readonly string[], options: ExecOptions) => {
                if (armed) {
                  armed = false;
                  failures += 1;
                  return Promise.reject(new Error('docker exec: connection lost (test)'));
                }
                return target.exec(argv, options);
              };
            }
            const value: unknown = Reflect.get(target, key, target);
            return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
          },
        });
      },
    };
    h = await startOnCalc(flaky);
    const ticket = await approveAndReview(h);
    expect(failures).toBe(1);
    const pr = h.forge.pulls.get(ticket.prNumber!)!;
    // The resumed attempt heard the same model turns: the same history as an undisturbed run.
    expect(await history(h.bare, pr.headRef)).toEqual(twoCycles(ticket.issueNumber!));
    const rows = await h.database.db.select().from(runs);
    expect(rows.map((r) => [r.kind, r.status])).toEqual([['pair', 'done']]);
    const developerCalls = await h.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(modelCalls)
      .where(eq(modelCalls.role, 'developer'));
    // Two calls per green step, and the interrupted green step's two asked again.
    expect(developerCalls[0]?.n).toBe(6);
  }, 300_000);
});
