/**
 * `tandem memory search/forget/reembed` on a real PGlite data directory (as an operator runs them next to
 * a stopped `tandem start`): what they print, and that bad input is a clear error that changes nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runMemoryForget,
  runMemoryReembed,
  runMemorySearch,
  type MemoryCommandIo,
} from '../../src/cli/commands/memory.js';
import { createDatabase } from '../../src/db/create-database.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { memories, repositories } from '../../src/db/schema.js';

let dir: string;

/** Runs a command with captured output. */
function io(): MemoryCommandIo & { out: string; err: string } {
  const captured = {
    env: { TANDEM_DATA_DIR: dir } as NodeJS.ProcessEnv,
    out: '',
    err: '',
    stdout: (t: string) => {
      captured.out += t;
    },
    stderr: (t: string) => {
      captured.err += t;
    },
  };
  return captured;
}

async function count(): Promise<number> {
  const handle = await createDatabase({ dataDir: dir });
  try {
    return (await handle.db.select().from(memories)).length;
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-memory-cli-'));
  const handle = await createDatabase({ dataDir: dir });
  try {
    await migrateDatabase(handle);
    const [repo] = await handle.db
      .insert(repositories)
      .values({ forge: 'github', owner: 'octo', name: 'app' })
      .returning();
    await handle.db.insert(memories).values([
      {
        repositoryId: repo!.id,
        kind: 'review',
        ref: 'issue#3/review/77',
        content: 'Review of PR #5 (ticket #3: CSV writer): Quote fields that contain newlines.',
      },
      {
        repositoryId: repo!.id,
        kind: 'diagnosis',
        ref: 'issue#3/run/t1',
        content: 'Run t1 of ticket #3 (CSV writer) was blocked: the suite stayed red.',
      },
    ]);
  } finally {
    await handle.close();
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tandem memory', () => {
  it('searches by full text without an embedding alias, with provenance', async () => {
    const x = io();
    expect(await runMemorySearch('octo/app', 'newlines in fields', {}, x)).toBe(0);
    expect(x.out).toContain('full-text search (no embedding alias');
    expect(x.out).toContain('1. [review] issue#3/review/77');
    expect(x.out).toContain('Quote fields that contain newlines.');
    expect(x.out).not.toContain('issue#3/run/t1');
  }, 60_000);

  it('refuses bad input with a clear error and changes nothing', async () => {
    const unknown = io();
    expect(await runMemorySearch('octo/nope', 'x', {}, unknown)).toBe(1);
    expect(unknown.err).toBe('error: Tandem does not know octo/nope\n');
    const kind = io();
    expect(await runMemorySearch('octo/app', 'x', { kind: ['gossip'] }, kind)).toBe(1);
    expect(kind.err).toContain('gossip');
    const nothing = io();
    expect(await runMemoryForget('octo/app', {}, nothing)).toBe(1);
    expect(nothing.err).toContain('exactly one of --kind, --ref or --all');
    const both = io();
    expect(await runMemoryForget('octo/app', { ref: 'issue#3/run/t1', all: true }, both)).toBe(1);
    const reembed = io();
    expect(await runMemoryReembed('octo/app', {}, reembed)).toBe(1);
    expect(reembed.err).toContain('has no embedding alias: pass --alias');
    expect(await count()).toBe(2);
  }, 120_000);

  it('forgets one ref', async () => {
    const x = io();
    expect(await runMemoryForget('octo/app', { ref: 'issue#3/run/t1' }, x)).toBe(0);
    expect(x.out).toBe('octo/app: forgot 1 memory\n');
    expect(await count()).toBe(1);
  }, 60_000);
});
