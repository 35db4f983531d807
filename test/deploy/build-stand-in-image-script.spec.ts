/**
 * deploy/build-stand-in-image.sh runs under `set -euo pipefail`: each branch of its control flow (a machine
 * that never built anything, a cached root filesystem, older tags to prune, the image already there) runs
 * here against stand-ins of `docker`, `debootstrap` and `id` that keep their state in files, so a pipeline
 * that fails on an empty match cannot hide behind a machine that already has the images.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = resolve('deploy/build-stand-in-image.sh');
const run = promisify(execFile);

const FAKE_DOCKER = `#!/usr/bin/env bash
state="$FAKE_STATE"
echo "$*" >>"$state/calls"
touch "$state/images"
case "$1" in
  info) exit 0 ;;
  image)
    case "$2" in
      inspect) grep -qx "$3" "$state/images" ;;
      ls) grep "^$5:" "$state/images"; exit 0 ;;
    esac ;;
  import) [ -s "$4" ] || exit 4; echo "$5" >>"$state/images" ;;
  build) tag=""; while [ $# -gt 0 ]; do [ "$1" = --tag ] && tag="$2"; shift; done; echo "$tag" >>"$state/images" ;;
  rmi) grep -vx "$2" "$state/images" >"$state/images.new"; mv "$state/images.new" "$state/images" ;;
  *) echo "unexpected docker call: $*" >&2; exit 3 ;;
esac
`;

// debootstrap SUITE ROOT MIRROR with options first: makes a tiny root with the directories the trim touches.
const FAKE_DEBOOTSTRAP = `#!/usr/bin/env bash
echo "debootstrap $*" >>"$FAKE_STATE/calls"
root="\${@: -2:1}"
mkdir -p "$root/etc" "$root/usr/share/doc/x" "$root/var/lib/postgresql/17/main" "$root/var/lib/apt/lists"
echo root >"$root/etc/os-release"
`;

describe('deploy/build-stand-in-image.sh', () => {
  let dir: string;
  let cache: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-stand-in-'));
    cache = join(dir, 'cache');
    await mkdir(join(dir, 'bin'));
    await writeFile(join(dir, 'bin', 'docker'), FAKE_DOCKER);
    await writeFile(join(dir, 'bin', 'debootstrap'), FAKE_DEBOOTSTRAP);
    await writeFile(join(dir, 'bin', 'id'), '#!/bin/sh\necho 0\n');
    for (const tool of ['docker', 'debootstrap', 'id']) {
      await chmod(join(dir, 'bin', tool), 0o755);
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const build = async (...args: string[]) =>
    run('bash', [script, ...args], {
      env: {
        PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
        FAKE_STATE: dir,
        TMPDIR: dir,
        TANDEM_SANDBOX_CACHE: cache,
        TANDEM_DEBIAN_MIRROR: 'http://mirror.invalid/debian',
      },
    });
  const images = async () =>
    (await readFile(join(dir, 'images'), 'utf8')).split('\n').filter(Boolean).sort();
  const calls = async () => readFile(join(dir, 'calls'), 'utf8');

  it('builds on a machine that never built anything, and prints the image', async () => {
    const { stdout, stderr } = await build('postgres');
    const image = stdout.trim();
    expect(image).toMatch(/^tandem-postgres:[0-9a-f]{12}$/);
    expect(await calls()).toMatch(
      /^debootstrap --variant=minbase --include=postgresql-17,postgresql-17-pgvector trixie \S+ http:\/\/mirror\.invalid\/debian$/m,
    );
    expect(stderr).toContain('cached the root filesystem');
    const [tarball] = (await readdir(cache)).filter((f) => f.endsWith('.tar'));
    expect(tarball).toMatch(/^stand-in-postgres-[0-9a-f]{12}\.tar$/);
    const all = await images();
    expect(all).toContain(image);
    expect(all.filter((i) => i.startsWith('tandem-postgres-root:'))).toHaveLength(1);
    expect(await calls()).not.toMatch(/^rmi/m);
  });

  it('imports the cached root filesystem after a docker rmi, without debootstrap', async () => {
    const first = (await build('postgres')).stdout.trim();
    await writeFile(join(dir, 'images'), '');
    await writeFile(join(dir, 'calls'), '');
    const { stdout, stderr } = await build('postgres');
    expect(stdout.trim()).toBe(first);
    expect(stderr).toContain('using the cached root filesystem');
    expect(await calls()).not.toContain('debootstrap');
    expect(await calls()).toMatch(/^import /m);
  });

  it('builds the no-pgvector variant on the same root and keeps both current tags', async () => {
    const full = (await build('postgres')).stdout.trim();
    const bare = (await build('postgres', 'no-pgvector')).stdout.trim();
    expect(bare).toBe(`${full}-no-pgvector`);
    expect(await calls()).toMatch(/--target no-pgvector/);
    expect(await images()).toEqual(expect.arrayContaining([full, bare]));
    expect((await calls()).match(/^debootstrap /gm)).toHaveLength(1);
  });

  it('removes older content-hash tags but keeps other tags', async () => {
    await writeFile(
      join(dir, 'images'),
      [
        'tandem-postgres:0123456789ab',
        'tandem-postgres:0123456789ab-no-pgvector',
        'tandem-postgres:mine',
      ]
        .map((i) => `${i}\n`)
        .join(''),
    );
    const { stdout, stderr } = await build('postgres');
    expect(stderr).toContain('removed the older image tandem-postgres:0123456789ab');
    const left = await images();
    expect(left).not.toContain('tandem-postgres:0123456789ab');
    expect(left).not.toContain('tandem-postgres:0123456789ab-no-pgvector');
    expect(left).toContain('tandem-postgres:mine');
    expect(left).toContain(stdout.trim());
  });

  it('only prints the image when it exists', async () => {
    const image = (await build('redis')).stdout.trim();
    expect(image).toMatch(/^tandem-redis:[0-9a-f]{12}$/);
    await writeFile(join(dir, 'calls'), '');
    const { stdout, stderr } = await build('redis');
    expect(stdout.trim()).toBe(image);
    expect(stderr).toContain('is up to date');
    expect((await calls()).trim().split('\n')).toEqual(['info', `image inspect ${image}`]);
  });

  it('refuses an unknown name with its usage', async () => {
    await expect(build('mysql')).rejects.toMatchObject({
      stderr: expect.stringContaining(
        'usage: build-stand-in-image.sh postgres [no-pgvector] | redis',
      ),
    });
  });
});
