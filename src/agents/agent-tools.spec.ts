import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxError } from '../errors/index.js';
import { WorkspaceFiles } from '../sandbox/workspace-files.js';
import type { PairRole } from './agent-models.js';
import { executeTool, normalizeRelative, type ToolContext } from './agent-tools.js';

let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-tools-'));
  await mkdir(join(dir, 'tests'));
  await writeFile(join(dir, 'calc.py'), 'def add(a, b):\n    return a + b\n');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Tools over the sandbox's real confined file access on a temp workspace. */
async function context(role: PairRole, files?: ToolContext['files']): Promise<ToolContext> {
  return {
    role,
    testGlobs: ['tests/**'],
    files: files ?? (await WorkspaceFiles.open(dir)),
    listFiles: () => Promise.resolve(['calc.py']),
    grep: () => Promise.resolve([]),
    repoMap: () => Promise.resolve('calc.py'),
    runTests: () => Promise.reject(new Error('not in this test')),
  };
}

const call = (name: string, args: Record<string, unknown>) => ({ id: 'c1', name, arguments: args });

describe('executeTool', () => {
  it('reads and writes within the role boundary', async () => {
    const tester = await context('tester');
    expect(await executeTool(call('read_file', { path: 'calc.py' }), tester)).toEqual({
      ok: true,
      content: 'def add(a, b):\n    return a + b\n',
    });
    expect(
      await executeTool(
        call('write_file', { path: './tests/test_x.py', content: 'x = 1\n' }),
        tester,
      ),
    ).toEqual({ ok: true, written: 'tests/test_x.py', bytes: 6 });
    expect(await readFile(join(dir, 'tests/test_x.py'), 'utf8')).toBe('x = 1\n');
  });

  it('refuses writes outside the role, also through non-canonical paths', async () => {
    const developer = await context('developer');
    for (const path of ['tests/test_x.py', 'tests//test_x.py', 'src/../tests/test_x.py']) {
      expect(await executeTool(call('write_file', { path, content: '' }), developer)).toEqual({
        ok: false,
        error: {
          type: 'forbidden',
          message: 'tests/test_x.py is a test file; the developer never changes tests',
        },
      });
    }
    const tester = await context('tester');
    expect(
      await executeTool(call('write_file', { path: 'calc.py', content: '' }), tester),
    ).toMatchObject({ ok: false, error: { type: 'forbidden' } });
  });

  it("reports the sandbox's file errors by their class, as results the agent can act on", async () => {
    const developer = await context('developer');
    expect(await executeTool(call('read_file', { path: 'missing.py' }), developer)).toMatchObject({
      ok: false,
      error: { type: 'not_found' },
    });
    expect(
      await executeTool(call('read_file', { path: '../etc/passwd' }), developer),
    ).toMatchObject({ ok: false, error: { type: 'outside_workspace' } });
    expect(await executeTool(call('read_file', { path: 42 }), developer)).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments' },
    });
    expect(await executeTool(call('rm_rf', {}), developer)).toEqual({
      ok: false,
      error: { type: 'unknown_tool', message: 'no tool named rm_rf' },
    });
  });

  it('lets infrastructure failures throw, whatever their message says', async () => {
    const broken = await context('developer', {
      readFile: () => Promise.reject(new SandboxError('not_found: container died')),
      writeFile: () => Promise.resolve(),
    });
    await expect(
      executeTool(call('read_file', { path: 'calc.py' }), broken),
    ).rejects.toBeInstanceOf(SandboxError);
  });
});

describe('normalizeRelative', () => {
  it("gives git's form of a relative path", () => {
    expect(normalizeRelative('./a//b/./c.py')).toBe('a/b/c.py');
    expect(normalizeRelative('a/../b/')).toBe('b');
    expect(normalizeRelative('.')).toBe('');
    expect(normalizeRelative('../x')).toBe('../x');
  });
});
