import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, EvalError } from '../errors/index.js';
import { debianMirror, fetchSources, loadEvalSources, type EvalSources } from './eval-sources.js';

let dir = '';
let server: Server;
let mirror = '';
let archive: Buffer;
let requests = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-eval-sources-'));
  await mkdir(join(dir, 'pkg-1.0', 'tests'), { recursive: true });
  await writeFile(join(dir, 'pkg-1.0', 'pkg.py'), 'X = 1\n');
  await writeFile(join(dir, 'pkg-1.0', 'tests', 'test_pkg.py'), 'def test(): pass\n');
  await execa('tar', ['-czf', join(dir, 'pkg.tar.gz'), '-C', dir, 'pkg-1.0']);
  archive = await readFile(join(dir, 'pkg.tar.gz'));
  // A stand-in Debian mirror on loopback serving one pool file.
  server = createServer((req, res) => {
    requests += 1;
    if (req.url === '/debian/pool/main/p/pkg/pkg_1.0.orig.tar.gz') {
      res.end(archive);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  mirror = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/debian`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const source = (sha256: string, file = 'pkg_1.0.orig.tar.gz'): EvalSources => ({
  'pkg-1.0': {
    kind: 'debian',
    package: 'pkg',
    version: '1.0-1',
    directory: 'pool/main/p/pkg',
    file,
    sha256,
    license: 'MIT',
    strip: 1,
  },
});

describe('fetchSources', () => {
  it('downloads from the mirror, checks the sha256, unpacks, and reuses the cache', async () => {
    const sha = createHash('sha256').update(archive).digest('hex');
    const cacheDir = join(dir, 'cache-ok');
    const trees = await fetchSources({ sources: source(sha), cacheDir, debianMirror: mirror });
    const tree = trees.get('pkg-1.0')!;
    expect(await readFile(join(tree, 'tests', 'test_pkg.py'), 'utf8')).toBe('def test(): pass\n');
    const before = requests;
    await fetchSources({ sources: source(sha), cacheDir, debianMirror: mirror });
    expect(requests).toBe(before);
  });

  it('refuses an archive whose sha256 differs and keeps nothing of it', async () => {
    const cacheDir = join(dir, 'cache-bad');
    const error = await fetchSources({
      sources: source('0'.repeat(64)),
      cacheDir,
      debianMirror: mirror,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalError);
    expect((error as EvalError).failure).toBe('fetch_failed');
    expect((error as EvalError).message).toContain('sources.yaml pins 0000');
    expect(
      await stat(join(cacheDir, 'archives', 'pkg_1.0.orig.tar.gz')).catch(() => null),
    ).toBeNull();
    expect(await stat(join(cacheDir, 'trees', 'pkg-1.0')).catch(() => null)).toBeNull();
  });

  it('names the URL of a missing file and refuses unknown names', async () => {
    const error = await fetchSources({
      sources: source('0'.repeat(64), 'gone.tar.gz'),
      cacheDir: join(dir, 'cache-404'),
      debianMirror: mirror,
    }).catch((e: unknown) => e);
    expect((error as EvalError).message).toContain('/pool/main/p/pkg/gone.tar.gz: HTTP 404');
    await expect(
      fetchSources({ sources: {}, names: ['nope'], cacheDir: join(dir, 'c') }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('reads sources.yaml with clear errors, and finds the mirror from the environment', async () => {
    await writeFile(join(dir, 'sources.yaml'), 'a:\n  kind: npm\n  spec: left-pad\n  sha256: x\n');
    const error = (await loadEvalSources(dir).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues.map((i) => i.path).sort()).toEqual(['a.license', 'a.sha256', 'a.spec']);
    expect(debianMirror({ env: { TANDEM_DEBIAN_MIRROR: 'http://m/debian/' } })).toBe(
      'http://m/debian',
    );
  });
});
