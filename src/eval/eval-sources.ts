/**
 * The fetch step of a shipped eval set: `sources.yaml` pins every upstream release a task uses (an npm
 * tarball by `name@version`, or a Debian source archive by pool path) with the sha256 of the archive and
 * its licence. `fetchSources` downloads what is missing into a cache, checks each archive's sha256, and
 * unpacks it into `<cache>/trees/<name>/`. Nothing of the packages is kept in Tandem's repository.
 *
 * npm archives come from `npm pack NAME@VERSION` (the user's npm configuration: registry, proxy, CA);
 * Debian archives from `<mirror>/<directory>/<file>`, the file `apt-get source` would fetch, with the
 * mirror from `TANDEM_DEBIAN_MIRROR` or the machine's apt sources (as `sandbox/build-image.sh` finds it).
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, EvalError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

const Common = {
  sha256: Sha256,
  /** SPDX licence of the release (from its own licence file). */
  license: z.string().min(1),
  /** Where the project lives upstream (informational). */
  homepage: z.string().optional(),
  /** Leading path components dropped when unpacking (npm tarballs: `package/`). */
  strip: z.number().int().min(0).max(5).default(1),
};

/** One pinned upstream release. */
export const EvalSource = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('npm'),
    /** `name@version`, exact. */
    spec: z.string().regex(/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+@\d[\w.+-]*$/i, 'must be name@version'),
    ...Common,
  }),
  z.object({
    kind: z.literal('debian'),
    package: z.string().min(1),
    version: z.string().min(1),
    /** Pool directory (the `Directory:` of the source package), e.g. `pool/main/t/toolz`. */
    directory: z.string().regex(/^pool\/[a-z0-9/._+-]+$/, 'must be a pool/… path'),
    /**
     * The file in that directory: a source archive (`toolz_0.12.0.orig.tar.gz`) or a binary package
     * (`python3-toolz_0.12.0-1_all.deb`, unpacked with `dpkg-deb -x`).
     */
    file: z.string().regex(/^[A-Za-z0-9._+~-]+$/, 'must be a file name'),
    ...Common,
  }),
]);
export type EvalSource = z.infer<typeof EvalSource>;

/** `sources.yaml`: source name → release. */
export const EvalSources = z.record(z.string().regex(/^[A-Za-z0-9._-]+$/), EvalSource);
export type EvalSources = z.infer<typeof EvalSources>;

/** Reads and validates `<dir>/sources.yaml`; an empty record when the set has none. */
export async function loadEvalSources(dir: string): Promise<EvalSources> {
  const path = join(dir, 'sources.yaml');
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) {
    return {};
  }
  const parsed = EvalSources.safeParse(parseYaml(text));
  if (!parsed.success) {
    throw new ConfigError(
      path,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

/** Options of {@link fetchSources}. */
export interface FetchSourcesOptions {
  sources: EvalSources;
  /** Only these names (default: all). */
  names?: readonly string[];
  /** Cache directory: `archives/` and `trees/` go under it. */
  cacheDir: string;
  /** Debian mirror base URL (default: `TANDEM_DEBIAN_MIRROR`, else the machine's apt sources). */
  debianMirror?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/**
 * Makes `<cacheDir>/trees/<name>/` exist for every wanted source and returns name → tree path. An archive
 * already in the cache is re-checked against its sha256 and reused; a tree already unpacked is reused.
 * @throws EvalError `fetch_failed` for a download that fails, a checksum that differs (the file is
 *   deleted), or an archive that does not unpack; ConfigError for an unknown name.
 */
export async function fetchSources(options: FetchSourcesOptions): Promise<Map<string, string>> {
  const names = options.names ?? Object.keys(options.sources);
  const unknown = names.filter((n) => !(n in options.sources));
  if (unknown.length > 0) {
    throw new ConfigError(
      'eval sources',
      unknown.map((n) => ({ path: n, message: 'not in sources.yaml' })),
    );
  }
  const trees = new Map<string, string>();
  for (const name of names) {
    trees.set(name, await fetchOne(name, options.sources[name]!, options));
  }
  return trees;
}

async function fetchOne(
  name: string,
  source: EvalSource,
  options: FetchSourcesOptions,
): Promise<string> {
  const tree = join(options.cacheDir, 'trees', name);
  if (await exists(join(tree, '.tandem-source'))) {
    return tree;
  }
  const archives = join(options.cacheDir, 'archives');
  await mkdir(archives, { recursive: true });
  const archive = join(archives, archiveName(source));
  if (!(await exists(archive)) || (await sha256Of(archive)) !== source.sha256) {
    await rm(archive, { force: true });
    options.logger?.info({ source: name }, 'eval source: downloading');
    if (source.kind === 'npm') {
      await npmPack(name, source.spec, archive);
    } else {
      await download(name, `${debianMirror(options)}/${source.directory}/${source.file}`, archive);
    }
    const actual = await sha256Of(archive);
    if (actual !== source.sha256) {
      await rm(archive, { force: true });
      throw new EvalError(
        'fetch_failed',
        `sha256 of ${archiveName(source)} is ${actual}, sources.yaml pins ${source.sha256}`,
        name,
      );
    }
  }
  const tmp = `${tree}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  // A binary package (.deb) is unpacked as dpkg would install it (its `usr/…` tree); `strip` is unused.
  const untar = archive.endsWith('.deb')
    ? await execa('dpkg-deb', ['-x', archive, tmp], { reject: false })
    : await execa(
        'tar',
        ['-xf', archive, '-C', tmp, `--strip-components=${source.strip}`, '--no-same-owner'],
        { reject: false },
      );
  if (untar.exitCode !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new EvalError('fetch_failed', `cannot unpack ${archive}: ${untar.stderr}`, name);
  }
  await writeFile(join(tmp, '.tandem-source'), `${JSON.stringify({ name, ...source })}\n`);
  await rm(tree, { recursive: true, force: true });
  await mkdir(join(options.cacheDir, 'trees'), { recursive: true });
  await rename(tmp, tree);
  return tree;
}

/** The archive's file name in the cache. */
function archiveName(source: EvalSource): string {
  if (source.kind === 'debian') {
    return source.file;
  }
  // npm pack's own naming: @scope/name@1.0.0 → scope-name-1.0.0.tgz
  return `${source.spec.replace(/^@/, '').replace('/', '-').replace('@', '-')}.tgz`;
}

async function npmPack(name: string, spec: string, target: string): Promise<void> {
  const dir = await mkdtemp(`${target}.pack-`);
  try {
    const packed = await execa('npm', ['pack', spec, '--pack-destination', dir, '--silent'], {
      reject: false,
    });
    const files = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
    if (packed.exitCode !== 0 || files.length !== 1) {
      throw new EvalError(
        'fetch_failed',
        `npm pack ${spec} failed: ${packed.stderr.trim().split('\n').slice(-3).join(' ')}`,
        name,
      );
    }
    await rename(join(dir, files[0]!), target);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function download(name: string, url: string, target: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  } catch (error) {
    throw new EvalError('fetch_failed', `cannot download ${url}`, name, { cause: error });
  }
  if (!response.ok) {
    throw new EvalError('fetch_failed', `GET ${url}: HTTP ${response.status}`, name);
  }
  await writeFile(target, Buffer.from(await response.arrayBuffer()));
}

/**
 * The Debian mirror: the option, `TANDEM_DEBIAN_MIRROR`, else the first `URIs:`/`deb` entry of the
 * machine's apt sources that is not a security mirror, else deb.debian.org.
 */
export function debianMirror(options: Pick<FetchSourcesOptions, 'debianMirror' | 'env'>): string {
  const env = options.env ?? process.env;
  const chosen = options.debianMirror ?? env.TANDEM_DEBIAN_MIRROR ?? aptMirror();
  return (chosen ?? 'http://deb.debian.org/debian').replace(/\/+$/, '');
}

const APT_SOURCES = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];

function aptMirror(): string | undefined {
  for (const file of APT_SOURCES) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const uris = [
      ...text.matchAll(/^URIs:\s*(\S+)/gm),
      ...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm),
    ].map((m) => m[1]!);
    const main = uris.find((u) => !u.includes('security'));
    if (main) {
      return main;
    }
  }
  return undefined;
}

/** sha256 of a file, lowercase hex. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}
