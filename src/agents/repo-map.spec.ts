import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRepoMap, estimateTokens } from './repo-map.js';

const run = promisify(execFile);

/**
 * ajv 8.17.1 as `npm pack ajv@8.17.1` fetched it: 466 files in lib/ (TypeScript sources) and dist/
 * (compiled JavaScript, declarations, source maps), several folders deep.
 */
let root = '';
let files: string[] = [];
const read = (path: string) => readFile(join(root, path), 'utf8');

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-repo-map-'));
  await run('tar', ['-xzf', 'test/fixtures/repo-map/ajv-8.17.1.tgz', '-C', dir]);
  root = join(dir, 'package');
  const { stdout } = await run('find', ['.', '-type', 'f'], {
    cwd: root,
    maxBuffer: 8 * 1024 * 1024,
  });
  files = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(2))
    .sort();
});

afterAll(async () => {
  await rm(join(root, '..'), { recursive: true, force: true });
});

/** The files a map shows with definitions (`path:` lines), in order. */
const mappedFiles = (map: string) =>
  map
    .split('\n')
    .filter((l) => l.endsWith(':') && !l.startsWith(' '))
    .map((l) => l.slice(0, -1));

const TICKET =
  'Discriminator keyword: report a clear error when the tag value has no matching oneOf subschema (discriminator mapping).';

describe('buildRepoMap on a real multi-folder package', () => {
  it('has a real fixture: 466 files, where an alphabetical listing cut at 6,000 characters never reaches lib/', () => {
    expect(files).toHaveLength(466);
    expect(files.join('\n').slice(0, 6_000)).not.toContain('lib/');
  });

  it('ranks the files everything depends on first, within the token budget', async () => {
    const map = await buildRepoMap(files, read, { maxTokens: 1_024 });
    expect(estimateTokens(map)).toBeLessThanOrEqual(1_024);
    const shown = mappedFiles(map);
    // Central modules: the public types and the code generator every keyword uses.
    expect(shown.slice(0, 6)).toEqual(
      expect.arrayContaining(['lib/types/index.ts', 'lib/compile/codegen/code.ts']),
    );
    expect(map).toMatch(/^lib\/types\/index\.ts:\n\s+\d+: export interface SchemaObject/m);
    expect(map).toMatch(/… \d+ more files$/);
  });

  it("puts the Architect's likely files first and follows what the ticket names", async () => {
    const map = await buildRepoMap(files, read, {
      maxTokens: 1_024,
      focus: { text: TICKET, files: ['lib/vocabularies/discriminator/index.ts'] },
    });
    expect(estimateTokens(map)).toBeLessThanOrEqual(1_024);
    const shown = mappedFiles(map);
    expect(shown[0]).toBe('lib/vocabularies/discriminator/index.ts');
    expect(map).toMatch(
      /^lib\/vocabularies\/discriminator\/index\.ts:\n {4}9: export type DiscriminatorError = .*\n {3}11: const error: KeywordErrorDefinition = \{$/m,
    );
    // Named by the ticket's words (the folder) and defining what the likely file uses.
    expect(shown).toContain('lib/vocabularies/discriminator/types.ts');
    // Without the focus the discriminator folder is not in the map at all.
    const plain = await buildRepoMap(files, read, { maxTokens: 1_024 });
    expect(plain).not.toContain('discriminator');
  });

  it('counts with the counter it is given, and keeps the earlier character budget', async () => {
    const words = (text: string) => text.split(/\s+/).filter((w) => w !== '').length;
    const map = await buildRepoMap(files, read, { maxTokens: 300, countTokens: words });
    expect(words(map)).toBeLessThanOrEqual(300);
    expect(words(map)).toBeGreaterThan(250);
    const chars = await buildRepoMap(files, read, 2_000);
    expect(chars.length).toBeLessThanOrEqual(2_000);
  });
});

describe('buildRepoMap on small inputs', () => {
  it('reads only source files and lists unreadable ones by name', async () => {
    const seen: string[] = [];
    const texts: Record<string, string> = { 'calc.py': 'def add(a, b):\n    return a + b\n' };
    const map = await buildRepoMap(['calc.py', 'logo.png', 'broken.py', '.gitignore'], (p) => {
      seen.push(p);
      const text = texts[p];
      return text === undefined ? Promise.reject(new Error('unreadable')) : Promise.resolve(text);
    });
    expect(seen).toEqual(['calc.py', 'broken.py']);
    expect(map).toBe('calc.py:\n    1: def add(a, b):\n.gitignore\nbroken.py\nlogo.png');
  });

  it('gives an empty map for no files and a tiny budget', async () => {
    expect(await buildRepoMap([], () => Promise.resolve(''))).toBe('');
    const map = await buildRepoMap(['a.txt', 'b.txt'], () => Promise.resolve(''), { maxTokens: 3 });
    expect(estimateTokens(map)).toBeLessThanOrEqual(3);
  });
});
