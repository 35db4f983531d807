/**
 * The embedded database's memory settings (src/db/pglite-tuning.ts): every function of PGlite's WebAssembly
 * modules compiles with Liftoff alone (under `--liftoff-only` one that does not would end the process),
 * and PGlite runs with `shared_buffers=16MB`, also on a data directory made without it.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/create-database.js';
import { PGLITE_V8_FLAGS } from '../../src/db/pglite-tuning.js';

const require = createRequire(import.meta.url);
let scratch = '';
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/**
 * Every WebAssembly module a worker process compiles: pglite.wasm, initdb.wasm, pgvector's vector.so
 * (unpacked from the extension's bundle), and tree-sitter's runtime and grammars (the agents' code index).
 */
async function wasmModules(): Promise<string[]> {
  const pgliteDist = dirname(require.resolve('@electric-sql/pglite'));
  const vectorDist = dirname(require.resolve('@electric-sql/pglite-pgvector'));
  const bundle = (await readdir(vectorDist)).find((f) => f.endsWith('.tar.gz'));
  expect(bundle).toBeDefined();
  scratch = await mkdtemp(join(tmpdir(), 'tandem-wasm-'));
  await execa('tar', ['-xzf', join(vectorDist, bundle!), '-C', scratch]);
  // The flag is process-wide: the agents' tree-sitter (runtime and grammars) runs in the same worker.
  const treeSitter = dirname(require.resolve('web-tree-sitter'));
  const grammars = join(dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm');
  return [
    join(pgliteDist, 'pglite.wasm'),
    join(pgliteDist, 'initdb.wasm'),
    join(scratch, 'lib/postgresql/vector.so'),
    join(treeSitter, 'web-tree-sitter.wasm'),
    ...(await readdir(grammars)).filter((f) => f.endsWith('.wasm')).map((f) => join(grammars, f)),
  ];
}

describe('PGlite tuning', () => {
  it('compiles every function of every WebAssembly module a worker loads with Liftoff alone', async () => {
    for (const file of await wasmModules()) {
      // Eager compilation: every function now, not on first call; a Liftoff bailout is fatal here.
      const result = await execa(
        process.execPath,
        [
          ...PGLITE_V8_FLAGS,
          '--no-wasm-lazy-compilation',
          '-e',
          'new WebAssembly.Module(require("node:fs").readFileSync(process.argv[1])); console.log("ok")',
          file,
        ],
        { reject: false },
      );
      expect({ file, exitCode: result.exitCode, stdout: result.stdout }).toEqual({
        file,
        exitCode: 0,
        stdout: 'ok',
      });
    }
  }, 120_000);

  it('runs PGlite with shared_buffers=16MB, in memory and on a directory made without the setting', async () => {
    const memory = await createDatabase({ inMemory: true });
    try {
      if (memory.kind !== 'pglite') {
        throw new Error('expected PGlite');
      }
      const { rows } = await memory.pglite.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(rows[0]?.shared_buffers).toBe('16MB');
    } finally {
      await memory.close();
    }

    // A directory as an earlier Tandem made it: PGlite's defaults (128MB in its postgresql.conf).
    scratch = await mkdtemp(join(tmpdir(), 'tandem-tuning-'));
    const older = await PGlite.create({ dataDir: join(scratch, 'pglite') });
    expect((await older.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows).toEqual([
      { shared_buffers: '128MB' },
    ]);
    await older.close();
    const reopened = await createDatabase({ dataDir: scratch });
    try {
      if (reopened.kind !== 'pglite') {
        throw new Error('expected PGlite');
      }
      const { rows } = await reopened.pglite.query<{ shared_buffers: string }>(
        'SHOW shared_buffers',
      );
      expect(rows[0]?.shared_buffers).toBe('16MB');
    } finally {
      await reopened.close();
    }
  }, 180_000);
});
