/**
 * JUnit XML reports (the de-facto format written by pytest `--junitxml`, vitest/jest junit reporters,
 * `node --test --test-reporter=junit`, go-junit-report): every `<testcase>` at any depth becomes one
 * {@link TestCase}. A case with `<failure>` failed, with `<error>` errored, with `<skipped>` was skipped.
 * Samples of each runner's output, as written on this machine, are in test/fixtures/engine/junit/.
 */
import { XMLParser } from 'fast-xml-parser';

/** One test's outcome. */
export interface TestCase {
  /** `classname::name` (or just `name` without a classname); stable across runs. */
  id: string;
  name: string;
  classname: string;
  /** Source file when the reporter gives it, else the file of the failure's innermost `path:line:` frame. */
  file?: string;
  /** 1-based line of the failure, when its text names one (pytest's `tests/test_x.py:9: AssertionError`). */
  line?: number;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  /** Failure or error message (first 500 characters). */
  message?: string;
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
  processEntities: true,
  parseTagValue: false,
});

/**
 * Parses a JUnit XML document. Returns null when `xml` is not a JUnit report (not XML, or no
 * `testsuites`/`testsuite` root), so callers fall back to the exit code.
 */
export function parseJunit(xml: string): TestCase[] | null {
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch {
    return null;
  }
  if (!('testsuites' in doc) && !('testsuite' in doc)) {
    return null;
  }
  const cases: TestCase[] = [];
  collect(doc, cases);
  return cases;
}

function collect(node: unknown, out: TestCase[]): void {
  if (Array.isArray(node)) {
    for (const child of node) {
      collect(child, out);
    }
    return;
  }
  if (node === null || typeof node !== 'object') {
    return;
  }
  for (const [key, value] of Object.entries(node as XmlNode)) {
    if (key === 'testcase') {
      for (const tc of value as XmlNode[]) {
        out.push(toCase(tc));
      }
    } else if (!key.startsWith('@')) {
      collect(value, out);
    }
  }
}

function toCase(tc: XmlNode): TestCase {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const name = str(tc['@name']);
  const classname = str(tc['@classname']);
  const file = str(tc['@file']);
  const first = (key: string): XmlNode | string | undefined => {
    const list = tc[key];
    return Array.isArray(list) ? (list[0] as XmlNode | string) : undefined;
  };
  const messageOf = (el: XmlNode | string | undefined): string | undefined => {
    if (el === undefined) {
      return undefined;
    }
    const text = typeof el === 'string' ? el : str(el['@message']) || str(el['#text']);
    return text.slice(0, 500);
  };
  let outcome: TestCase['outcome'] = 'passed';
  let message: string | undefined;
  const frameOf = (
    el: XmlNode | string | undefined,
  ): { file: string; line: number } | undefined => {
    const text = typeof el === 'string' ? el : str(el?.['#text']);
    const frames = [...text.matchAll(/^(\S+?\.\w+):(\d+):/gm)];
    const last = frames.at(-1);
    return last?.[1] && last[2] ? { file: last[1], line: Number(last[2]) } : undefined;
  };
  const failure = first('error') ?? first('failure');
  const frame = failure === undefined ? undefined : frameOf(failure);
  if (first('error') !== undefined) {
    outcome = 'error';
    message = messageOf(first('error'));
  } else if (first('failure') !== undefined) {
    outcome = 'failed';
    message = messageOf(first('failure'));
  } else if (first('skipped') !== undefined) {
    outcome = 'skipped';
  }
  return {
    id: classname ? `${classname}::${name}` : name,
    name,
    classname,
    ...(file || frame ? { file: file || (frame?.file ?? '') } : {}),
    ...(frame && (!file || file === frame.file) ? { line: frame.line } : {}),
    outcome,
    ...(message === undefined ? {} : { message }),
  };
}

/**
 * True when a failed or errored case stands for a whole test file that could not be loaded (does not
 * compile, import or collect) rather than for one test. Runners mark this differently:
 * - pytest: an `<error>` case with an empty classname, named after the module (`tests.test_x`);
 * - vitest: a case whose name equals its classname (the file path), e.g. a syntax error in a spec file;
 * - node --test: a top-level case named by the file's absolute path (the file's process failed outside any
 *   test).
 */
export function isLoadFailure(c: TestCase): boolean {
  if (c.outcome !== 'failed' && c.outcome !== 'error') {
    return false;
  }
  return (
    (c.outcome === 'error' && c.classname === '') ||
    (c.classname !== '' && c.name === c.classname) ||
    c.name.startsWith('/')
  );
}
