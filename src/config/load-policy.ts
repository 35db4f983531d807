/**
 * Reading a repository policy (`.github/tandem.yml` and friends) from YAML text into a `RepoPolicy`,
 * with errors that point at the offending key AND its line, so the issue comment Tandem posts (or
 * `tandem config validate`) tells the user exactly what to fix.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { checkPolicyAgainstServer, type ServerLimits } from './check-policy-against-server.js';
import { DEFAULT_POLICY, POLICY_PATHS, RepoPolicy } from './repo-policy.js';
import { objectKeysAt } from './schema-keys.js';
import { yamlLineOf, type KeyPath } from './yaml-line-of.js';

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /** Also check the policy against the server's limits (see `checkPolicyAgainstServer`). */
  server?: ServerLimits;
}

/**
 * Parses policy YAML. An empty file (or one holding only comments) gives the defaults; a key with no
 * value (`budgets:`) counts as absent, so its default applies.
 *
 * @param text file contents (UTF-8)
 * @param source file name shown in the error, e.g. `.github/tandem.yml`
 * @throws ConfigError with every problem at once: YAML syntax errors (the parser's line, nothing else
 *   is checked then), then unknown keys (with a "did you mean" hint), bad values, cross-field and
 *   server checks, each with its dotted path (`budgets.cycles`, `sandbox.test[1]`) and 1-based line.
 */
export function parsePolicy(
  text: string,
  source: string,
  options: ParsePolicyOptions = {},
): RepoPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      path: '',
      message: `YAML syntax error: ${e.message}`,
      line: lineCounter.linePos(e.pos[0]).line,
    }));
    throw new ConfigError(source, issues);
  }
  let data: unknown;
  try {
    data = dropNulls(doc.toJS({ maxAliasCount: 100 }));
  } catch (error) {
    // Too many aliases (a "billion laughs" file): refuse rather than expand it.
    throw new ConfigError(source, [{ path: '', message: 'YAML uses too many aliases' }], {
      cause: error,
    });
  }
  data ??= {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(source, [
      { path: '', message: 'the policy must be a YAML mapping of keys', line: 1 },
    ]);
  }
  const parsed = RepoPolicy.safeParse(data);
  const issues = parsed.success
    ? []
    : parsed.error.issues.flatMap((i) => toIssues(i, doc, lineCounter));
  if (parsed.success && options.server) {
    for (const issue of checkPolicyAgainstServer(parsed.data, options.server)) {
      issues.push(withLine(issue, doc, lineCounter));
    }
  }
  if (!parsed.success || issues.length > 0) {
    throw new ConfigError(source, sortByLine(issues));
  }
  return parsed.data;
}

/** Reads one file of the repository; undefined when it does not exist. */
export type PolicyFileReader = (path: string) => Promise<string | undefined>;

/** The policy in force and where it came from (`path` is absent when the defaults apply). */
export interface LoadedPolicy {
  policy: RepoPolicy;
  path?: string;
}

/**
 * Looks the policy up in `POLICY_PATHS` order (`.github/tandem.yml`, `.gitea/tandem.yml`,
 * `.tandem.yml`); the first file that exists wins, none gives `DEFAULT_POLICY`.
 * @throws ConfigError (source = the file's path) when the first file found is invalid.
 */
export async function loadPolicy(
  read: PolicyFileReader,
  options: ParsePolicyOptions = {},
): Promise<LoadedPolicy> {
  for (const path of POLICY_PATHS) {
    const text = await read(path);
    if (text !== undefined) {
      return { policy: parsePolicy(text, path, options), path };
    }
  }
  return { policy: DEFAULT_POLICY };
}

/** Renders a zod path as `a.b[1].c`. */
export function formatKeyPath(path: KeyPath): string {
  return path.reduce<string>((out, segment) => {
    if (typeof segment === 'number') {
      return `${out}[${segment}]`;
    }
    return out === '' ? String(segment) : `${out}.${String(segment)}`;
  }, '');
}

/** Inverse of {@link formatKeyPath}. */
function parseKeyPath(path: string): KeyPath {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] === undefined ? (m[1] ?? '') : Number(m[2]),
  );
}

function toIssues(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const known = objectKeysAt(RepoPolicy, issue.path);
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const hint = closest(key, known);
      return withLine(
        {
          path: formatKeyPath(path),
          message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`,
        },
        doc,
        lc,
      );
    });
  }
  return [withLine({ path: formatKeyPath(issue.path), message: issue.message }, doc, lc)];
}

function withLine(issue: ConfigIssue, doc: Document, lc: LineCounter): ConfigIssue {
  const line = yamlLineOf(doc, lc, parseKeyPath(issue.path));
  return line === undefined ? issue : { ...issue, line };
}

function sortByLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || a.index - b.index)
    .map((x) => x.issue);
}

/** Removes map entries whose value is null, recursively: `key:` with nothing after means "default". */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(dropNulls);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  }
  return value;
}

/** The known key nearest to `key` (case-insensitive equal, or Levenshtein distance ≤ 2). */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d =
      candidate.toLowerCase() === key.toLowerCase()
        ? 0
        : levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Edit distance (Wagner–Fischer, one row). */
function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(
        above + 1,
        (row[j - 1] ?? 0) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
