/**
 * A new PGlite data directory is made by initdb in a child process and moved into place only when it is
 * complete; what exists is left alone; a failing initdb leaves nothing behind and says why.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/create-database.js';
import { initPgliteDataDir } from '../../src/db/init-pglite-data-dir.js';
import { migrateDatabase } from '../../src/db/migrate-database.js';
import { pgliteTuning } from '../../src/db/pglite-tuning.js';
import { DatabaseInitError } from '../../src/errors/index.js';

let root = '';
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('initPgliteDataDir', () => {
  it('creates a missing directory in a child process, with the tuned settings, leaving no scratch copy', async () => {
    root = await mkdtemp(join(tmpdir(), 'tandem-initdb-'));
    const dir = join(root, 'pglite');
    const created = await initPgliteDataDir(dir, pgliteTuning());
    expect(created).toBe(true);
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    expect(await readFile(join(dir, 'postgresql.conf'), 'utf8')).toMatch(/^shared_buffers = 16MB/m);
    expect(await readdir(root)).toEqual(['pglite']);

    // The next open finds a database and resumes it, as any later start does.
    expect(await initPgliteDataDir(dir, pgliteTuning())).toBe(false);
    const handle = await createDatabase({ dataDir: root });
    try {
      expect((await migrateDatabase(handle)).applied.length).toBeGreaterThan(0);
    } finally {
      await handle.close();
    }
  }, 180_000);

  it('leaves a directory with other content to PGlite, untouched', async () => {
    root = await mkdtemp(join(tmpdir(), 'tandem-initdb-'));
    const dir = join(root, 'pglite');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    expect(await initPgliteDataDir(dir, pgliteTuning())).toBe(false);
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('reports a failing initdb with its reason, and leaves neither the directory nor a scratch copy', async () => {
    root = await mkdtemp(join(tmpdir(), 'tandem-initdb-'));
    const dir = join(root, 'pglite');
    const error = await initPgliteDataDir(dir, {
      ...pgliteTuning(),
      initDbStartParams: ['--set', 'shared_buffers=not-a-size'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseInitError);
    expect((error as DatabaseInitError).code).toBe('database_init_failed');
    expect((error as DatabaseInitError).message).toContain(dir);
    // PGlite's own reason is carried (it does not pass initdb's output on).
    expect((error as DatabaseInitError).message).toMatch(/INITDB failed/);
    expect(await readdir(root)).toEqual([]);
  }, 180_000);
});
