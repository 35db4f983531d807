import { mkdtemp, rm } from 'node:fs/promises';
import { SHIPPED_MIGRATIONS } from '../helpers/shipped-migrations.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMigrate } from '../../src/cli/commands/migrate.js';

describe('tandem migrate', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('applies the migrations into TANDEM_DATA_DIR, then reports up to date', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-cli-'));
    dirs.push(dir);
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      env: { TANDEM_DATA_DIR: dir },
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => err.push(t),
    };
    expect(await runMigrate(io)).toBe(0);
    expect(out.join('')).toContain('applied 0001_core-tables');
    const n = SHIPPED_MIGRATIONS.length;
    expect(out.join('')).toContain(
      `PGlite at ${join(dir, 'pglite')}: applied ${n} of ${n} migrations`,
    );
    out.length = 0;
    expect(await runMigrate(io)).toBe(0);
    expect(out.join('')).toContain(`up to date (${n} migrations)`);
    expect(err).toEqual([]);
  });

  it('exits 1 with a readable message for a bad DATABASE_URL, without echoing it', async () => {
    const err: string[] = [];
    const code = await runMigrate({
      env: { DATABASE_URL: 'mysql://root:hunter2-secret@db/x' },
      stdout: () => {},
      stderr: (t) => err.push(t),
    });
    expect(code).toBe(1);
    expect(err.join('')).toContain('databaseUrl: must be a postgres:// or postgresql:// URL');
    expect(err.join('')).not.toContain('hunter2');
  });
});
