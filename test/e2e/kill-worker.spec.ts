/**
 * kill -9 of a worker process in the middle of a ticket, then a restart: exactly one PR, no duplicate
 * comments, the same final tree as an uninterrupted run. The parent runs what outlives workers
 * (`kill-worker-harness.ts`: PGlite served on the wire, ingestion with its outbox relay, Redis/BullMQ,
 * an HTTP fake of Gitea's API, a bare git remote). Worker processes (`kill-worker-child.ts`) run the
 * real `startWorkers` with the Gitea forge and the stand-in pair runner; the first one is killed with
 * SIGKILL after the red commit is pushed, the second picks up the stalled job (BullMQ lock expiry) and
 * finishes the ticket. The same test on the real pair engine is `kill-worker-engine.spec.ts`.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getTicket, ticketsOfRequest } from '../../src/workflow/tickets/ticket-store.js';
import { POLICY, SCRIPT, until } from '../workflow/harness.js';
import { startKillHarness, type KillHarness } from './kill-worker-harness.js';

describe('kill -9 of a worker during a ticket', () => {
  let h: KillHarness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('restarted worker finishes the ticket: one PR, no duplicate comments, the same tree', async () => {
    h = await startKillHarness({ '.github/tandem.yml': POLICY });
    const { store, db } = h;
    const script = join(h.dir, 'script.yaml');
    await writeFile(script, SCRIPT);
    const signalFile = join(h.dir, 'red-pushed');
    const worker = (pauseAfterRed: boolean) =>
      h!.spawnWorker({ runner: 'stand-in', script, pauseAfterRed, signalFile });

    const { child: first } = await worker(true);
    await h.fileAndApprove();
    await until('red pushed', () => existsSync(signalFile), 40_000);
    const [t1] = await ticketsOfRequest(db, 1);
    const branch = t1!.branch!;
    expect(await h.git(['log', '--format=%s', `main..${branch}`])).toBe(
      `test(#${t1!.issueNumber}): failing test`,
    );

    // kill -9 in the middle of the ticket, then a fresh worker process.
    first.kill('SIGKILL');
    await first.catch(() => undefined);
    expect(first.killed).toBe(true);
    await worker(false);
    const done = await until(
      'T1 in review after the restart',
      async () => {
        const t = await getTicket(db, t1!.id);
        return t.state === 'review' ? t : undefined;
      },
      60_000,
    );

    // Exactly one PR; the branch holds red then green once each; the tree of an uninterrupted run.
    expect(store.calls.filter((c) => c === `createPull ${branch}`)).toHaveLength(1);
    expect(store.pulls.get(done.prNumber!)?.body).toContain(`Closes #${t1!.issueNumber}`);
    const n = t1!.issueNumber!;
    expect(
      (await h.git(['log', '--reverse', '--format=%s', `main..${branch}`])).split('\n'),
    ).toEqual([`test(#${n}): failing test`, `feat(#${n}): make it pass`]);
    expect((await h.git(['ls-tree', '-r', '--name-only', branch])).split('\n')).toEqual([
      '.github/tandem.yml',
      'docs/specs/1-csv-export.md',
      `src/t${n}.js`,
      `test/t${n}-1.spec.js`,
    ]);
    expect(await h.git(['show', `${branch}:src/t${n}.js`])).toBe('export const v1 = 1;');
    const markers = store.comments.map((c) => `${c.number} ${c.body.split('\n')[0]}`);
    expect(new Set(markers).size).toBe(markers.length);
    expect(store.statuses.filter((s) => s.context === 'tandem/tdd')).toHaveLength(1);
    expect(h.unknownRoutes).toEqual([]);
  }, 150_000);
});
