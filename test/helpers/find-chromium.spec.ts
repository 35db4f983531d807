/**
 * The browser tests' lookup of Chromium: a missing browser is an error naming the package (so the suite
 * fails in CI instead of skipping), an explicit path wins, and `PATH` is searched in order.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from './find-chromium.js';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-find-chromium-'));
  await writeFile(join(dir, 'chromium-browser'), '#!/bin/sh\n');
  await chmod(join(dir, 'chromium-browser'), 0o755);
  await writeFile(join(dir, 'chromium'), 'not executable\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('findChromium', () => {
  it('fails naming the Debian package when no browser is on PATH', () => {
    expect(() => findChromium({ PATH: join(dir, 'none') })).toThrow(
      /apt-get install -y --no-install-recommends chromium/,
    );
  });

  it('skips a file that is not executable and finds chromium-browser', () => {
    expect(findChromium({ PATH: [join(dir, 'none'), dir].join(delimiter) })).toBe(
      join(dir, 'chromium-browser'),
    );
  });

  it('takes TANDEM_TEST_CHROMIUM first, and refuses one that cannot run', () => {
    const path = join(dir, 'chromium-browser');
    expect(findChromium({ TANDEM_TEST_CHROMIUM: path, PATH: '' })).toBe(path);
    expect(() => findChromium({ TANDEM_TEST_CHROMIUM: join(dir, 'chromium'), PATH: dir })).toThrow(
      /is not an executable file/,
    );
  });
});
