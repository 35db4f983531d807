/**
 * Where the browser tests find Debian's Chromium: `TANDEM_TEST_CHROMIUM` when set, else the first
 * `chromium` (Debian's name) or `chromium-browser` on `PATH`.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The binary names looked up on `PATH`, in order. */
const NAMES = ['chromium', 'chromium-browser'];

/**
 * Returns the absolute path of an executable Chromium.
 *
 * @throws Error naming the variable and the Debian package to install, when there is none: a missing
 *   browser fails the test (CI installs it in `.ci/run`), it never skips it.
 */
export function findChromium(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const set = env.TANDEM_TEST_CHROMIUM;
  if (set) {
    if (isExecutable(set)) {
      return set;
    }
    throw new Error(`TANDEM_TEST_CHROMIUM=${set} is not an executable file`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const path = join(dir, name);
      if (isExecutable(path)) {
        return path;
      }
    }
  }
  throw new Error(
    "Debian's chromium is not installed (no chromium or chromium-browser on PATH, TANDEM_TEST_CHROMIUM unset): " +
      '`sudo apt-get install -y --no-install-recommends chromium` (.ci/run installs it)',
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
