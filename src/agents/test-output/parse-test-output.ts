/**
 * Reads a test run's text output with the first parser that recognises it (Vitest, Jest, pytest, Mocha,
 * go test, TAP), after removing terminal escapes and carriage-return redraws.
 */
import { stripVTControlCharacters } from 'node:util';
import { parseGoTest } from './parse-go-test.js';
import { parseJest } from './parse-jest.js';
import { parseMocha } from './parse-mocha.js';
import { parsePytest } from './parse-pytest.js';
import { parseTap } from './parse-tap.js';
import { parseVitest } from './parse-vitest.js';
import type { TestReport } from './test-report.js';

/**
 * Tried in this order: the formats with the most specific summaries first, TAP (plain `ok`/`not ok`
 * lines) last.
 */
const PARSERS = [parseVitest, parseJest, parsePytest, parseMocha, parseGoTest, parseTap] as const;

/** Terminal text as a log would show it: no colour codes, `\r\n` as `\n`, only the last redraw of a line. */
export function plainText(output: string): string {
  return stripVTControlCharacters(output)
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('\r') + 1))
    .join('\n');
}

/** The report of `output` (raw stdout + stderr), or null when no parser recognises it. */
export function parseTestOutput(output: string): TestReport | null {
  const text = plainText(output);
  for (const parse of PARSERS) {
    const report = parse(text);
    if (report) {
      return report;
    }
  }
  return null;
}
