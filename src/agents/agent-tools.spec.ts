import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxError } from '../errors/index.js';
import { WorkspaceFiles } from '../sandbox/workspace-files.js';
import type { PairRole } from './agent-models.js';
import {
  executeTool,
  normalizeRelative,
  toolDefinitions,
  type ToolContext,
} from './agent-tools.js';

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
    repoMap: () => Promise.resolve('calc.py'),
    runTests: () => Promise.reject(new Error('not in this test')),
  };
}

const call = (name: string, args: Record<string, unknown>) => ({ id: 'c1', name, arguments: args });

describe('toolDefinitions', () => {
  it('offers every tool with a JSON schema from its arguments, and finish with the phase result', () => {
    const definitions = toolDefinitions('tester', { type: 'object', properties: { x: {} } });
    expect(definitions.map((d) => d.name)).toEqual([
      'view_file',
      'find_file',
      'search',
      'symbols',
      'list_files',
      'repo_map',
      'str_replace',
      'insert',
      'replace_lines',
      'create_file',
      'run_tests',
      'run_command',
      'finish',
    ]);
    const view = definitions.find((d) => d.name === 'view_file');
    expect(view?.parameters).toEqual({
      type: 'object',
      properties: {
        path: { type: 'string', description: 'Repository-relative path' },
        start_line: { type: 'integer', minimum: 1 },
        end_line: { type: 'integer', minimum: 1 },
      },
      required: ['path'],
    });
    expect(definitions.find((d) => d.name === 'create_file')?.description).toContain(
      'Only test files may be written.',
    );
    expect(
      toolDefinitions('developer', {}).find((d) => d.name === 'create_file')?.description,
    ).toContain('Test files may not be written.');
  });
});

describe('executeTool', () => {
  it('accepts the names other scaffolds use: read_file views, write_file writes whole files', async () => {
    const tester = await context('tester');
    expect(await executeTool(call('read_file', { path: 'calc.py' }), tester)).toMatchObject({
      ok: true,
      total_lines: 2,
      content: '   1\tdef add(a, b):\n   2\t    return a + b',
    });
    expect(
      await executeTool(
        call('write_file', { path: './tests/test_x.py', content: 'x = 1\n' }),
        tester,
      ),
    ).toMatchObject({ ok: true, path: 'tests/test_x.py', created: true });
    expect(
      await executeTool(
        call('write_file', { path: 'tests/test_x.py', content: 'x = 2\n' }),
        tester,
      ),
    ).toMatchObject({ ok: true, overwritten: true });
    expect(await readFile(join(dir, 'tests/test_x.py'), 'utf8')).toBe('x = 2\n');
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
  });

  it("reports the sandbox's file errors by their class, as results the agent can act on", async () => {
    const developer = await context('developer');
    expect(await executeTool(call('view_file', { path: 'missing.py' }), developer)).toMatchObject({
      ok: false,
      error: { type: 'not_found' },
    });
    expect(
      await executeTool(call('view_file', { path: '../etc/passwd' }), developer),
    ).toMatchObject({
      ok: false,
      error: { type: 'outside_workspace' },
    });
    expect(await executeTool(call('view_file', { path: 42 }), developer)).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments' },
    });
    expect(
      await executeTool(call('view_file', { path: 'calc.py', start_line: 'two' }), developer),
    ).toMatchObject({
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
      executeTool(call('view_file', { path: 'calc.py' }), broken),
    ).rejects.toBeInstanceOf(SandboxError);
  });

  it('answers run_command and filtered run_tests as unavailable when the context does not offer them', async () => {
    const developer = await context('developer');
    expect(await executeTool(call('run_command', { command: 'ls' }), developer)).toEqual({
      ok: false,
      error: { type: 'unavailable', message: 'run_command is not available in this run' },
    });
    expect(await executeTool(call('run_tests', { filter: 'test_add' }), developer)).toEqual({
      ok: false,
      error: {
        type: 'filter_unsupported',
        message: 'filtered runs are not available here; call run_tests without a filter',
      },
    });
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
