import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// sandbox/build-image.sh runs under `set -euo pipefail`: every branch of its control flow (first build, rebuild
// next to an older tag, image already there) is run here against a stand-in `docker` that keeps its image list
// in a file, so a pipeline that fails on an empty match cannot hide behind a machine that already has images.
const script = resolve('sandbox/build-image.sh');
const run = promisify(execFile);

const FAKE_DOCKER = `#!/usr/bin/env bash
state="$FAKE_DOCKER_STATE"
echo "$*" >>"$state/calls"
touch "$state/images"
case "$1" in
  info) exit 0 ;;
  pull) exit 1 ;;
  image)
    case "$2" in
      inspect) grep -qx "$3" "$state/images" ;;
      ls) grep "^$5:" "$state/images"; exit 0 ;;
    esac ;;
  build) echo "$4" >>"$state/images" ;;
  tag) grep -qx "$2" "$state/images" || exit 1; grep -qx "$3" "$state/images" || echo "$3" >>"$state/images" ;;
  rmi) grep -vx "$2" "$state/images" >"$state/images.new"; mv "$state/images.new" "$state/images" ;;
  *) echo "unexpected docker call: $*" >&2; exit 3 ;;
esac
`;

describe('sandbox/build-image.sh', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-build-image-'));
    await writeFile(join(dir, 'docker'), FAKE_DOCKER);
    await chmod(join(dir, 'docker'), 0o755);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const buildImage = async () =>
    run('bash', [script], {
      env: {
        PATH: `${dir}:${process.env.PATH ?? ''}`,
        FAKE_DOCKER_STATE: dir,
        TMPDIR: dir,
        TANDEM_SANDBOX_BUILD: 'docker',
        TANDEM_SANDBOX_REPO: 'tandem-sandbox-test',
      },
    });
  const images = async () =>
    (await readFile(join(dir, 'images'), 'utf8')).split('\n').filter(Boolean).sort();

  it('builds on a machine that never had the image (no older tag to clean up)', async () => {
    const { stdout } = await buildImage();
    expect(stdout).toMatch(
      /built tandem-sandbox-test:[0-9a-f]{12}; tandem-sandbox-test:latest points at it/,
    );
    const [hashTag] = (await images()).filter((i) => i !== 'tandem-sandbox-test:latest');
    expect(await images()).toEqual([hashTag, 'tandem-sandbox-test:latest'].sort());
    expect(await readFile(join(dir, 'calls'), 'utf8')).not.toMatch(/^rmi/m);
  });

  it('removes older content-hash tags but keeps other tags', async () => {
    await writeFile(
      join(dir, 'images'),
      [
        'tandem-sandbox-test:0123456789ab',
        'tandem-sandbox-test:latest',
        'tandem-sandbox-test:mine',
      ].join('\n') + '\n',
    );
    const { stdout } = await buildImage();
    expect(stdout).toContain('removed the older image tandem-sandbox-test:0123456789ab');
    const left = await images();
    expect(left).not.toContain('tandem-sandbox-test:0123456789ab');
    expect(left).toContain('tandem-sandbox-test:mine');
    expect(left.filter((i) => /:[0-9a-f]{12}$/.test(i))).toHaveLength(1);
  });

  it('only re-points latest when the current image exists', async () => {
    await buildImage();
    await writeFile(join(dir, 'calls'), '');
    const { stdout } = await buildImage();
    expect(stdout).toMatch(/is up to date/);
    expect(await readFile(join(dir, 'calls'), 'utf8')).not.toMatch(/^build/m);
  });
});
