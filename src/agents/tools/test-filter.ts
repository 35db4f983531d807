/**
 * A filtered test run for fast feedback: the policy's test command with the runner's own filter added.
 * A test file is added as a path argument (pytest, vitest, jest, mocha and `node --test` all take one);
 * a test name goes through the runner's name filter (`-k` for pytest, `-t` for vitest and jest, `--grep`
 * for mocha, `--test-name-pattern` for node, `-run` for go test). `npm`/`yarn`/`pnpm` scripts are
 * followed into `package.json` to find the runner; the arguments then go after `--`.
 */

/** The runners a filter can be built for. */
export type FilterableRunner = 'pytest' | 'vitest' | 'jest' | 'mocha' | 'node' | 'go';

/** The runner a command's words name, if any. */
export function runnerOf(words: readonly string[]): FilterableRunner | undefined {
  const base = words.map((w) => w.slice(w.lastIndexOf('/') + 1));
  if (base.some((w) => w === 'pytest' || w === 'py.test')) {
    return 'pytest';
  }
  for (const runner of ['vitest', 'jest', 'mocha'] as const) {
    if (base.some((w) => w === runner || w === `${runner}.js` || w === `${runner}.mjs`)) {
      return runner;
    }
  }
  if (base.includes('node') && words.includes('--test')) {
    return 'node';
  }
  return base[0] === 'go' && base[1] === 'test' ? 'go' : undefined;
}

/** True when the filter names a test file or directory rather than a test. */
export function isPathFilter(filter: string): boolean {
  return filter.includes('/') || /\.(py|[cm]?[jt]sx?|go)(::.*)?$/.test(filter);
}

/** Extra arguments that filter a run of `runner` to `filter`, or an explanation when there are none. */
export function filterArguments(
  runner: FilterableRunner,
  filter: string,
): string[] | { unsupported: string } {
  if (isPathFilter(filter)) {
    return runner === 'go'
      ? { unsupported: 'go test filters by test name (-run); give a test name such as TestAdd' }
      : [filter];
  }
  switch (runner) {
    case 'pytest':
      return ['-k', filter];
    case 'vitest':
    case 'jest':
      return ['-t', filter];
    case 'mocha':
      return ['--grep', filter];
    case 'node':
      return [`--test-name-pattern=${filter}`];
    case 'go':
      return ['-run', filter];
  }
}

/**
 * The argv of a filtered run of `command`, or why none can be built. `readPackageJson` reads the
 * workspace's package.json for `npm test`-style commands (undefined when there is none).
 */
export async function filteredTestCommand(
  command: readonly string[],
  filter: string,
  readPackageJson: () => Promise<string | undefined>,
): Promise<{ argv: string[] } | { unsupported: string }> {
  const direct = runnerOf(command);
  if (direct) {
    const extra = filterArguments(direct, filter);
    return Array.isArray(extra) ? { argv: [...command, ...extra] } : extra;
  }
  const script = scriptName(command);
  if (script) {
    const text = await readPackageJson();
    const body = text === undefined ? undefined : scriptBody(text, script);
    const runner = body === undefined ? undefined : runnerOf(body.split(/\s+/));
    if (runner) {
      const extra = filterArguments(runner, filter);
      return Array.isArray(extra) ? { argv: [...command, '--', ...extra] } : extra;
    }
  }
  return {
    unsupported: `cannot tell which test runner "${command.join(' ')}" uses, so it cannot be filtered; run_tests without a filter runs everything, or use run_command with a command of your own`,
  };
}

/** `npm test` → `test`, `npm run test:unit` → `test:unit` (also yarn and pnpm). */
function scriptName(command: readonly string[]): string | undefined {
  const [tool, first, second] = command.map((w) => w.slice(w.lastIndexOf('/') + 1));
  if (tool !== 'npm' && tool !== 'yarn' && tool !== 'pnpm') {
    return undefined;
  }
  if (first === 'test' || first === 't') {
    return 'test';
  }
  if (first === 'run' || first === 'run-script') {
    return second;
  }
  // `yarn unit` and `pnpm unit` run the script `unit`; npm needs `run`.
  return tool === 'npm' ? undefined : first;
}

function scriptBody(packageJson: string, script: string): string | undefined {
  try {
    const scripts = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts;
    const body = scripts?.[script];
    return typeof body === 'string' ? body : undefined;
  } catch {
    return undefined;
  }
}
