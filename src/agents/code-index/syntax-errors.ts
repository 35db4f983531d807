/**
 * Syntax checks of a file's text after an edit, by language: tree-sitter's `ERROR` and `MISSING` nodes
 * for TypeScript, TSX, JavaScript, Python and Go; `jsonc-parser` (VS Code's JSON scanner, which gives
 * error offsets) for JSON: strict for `.json`, comments and trailing commas allowed for `.jsonc` and the
 * files TypeScript and VS Code read as JSON with comments (`tsconfig*.json`, `jsconfig*.json`,
 * `.vscode/*.json`). Other languages are not checked.
 */
import { parse as parseJson, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { Node } from 'web-tree-sitter';
import { codeLanguageOf } from './code-language.js';
import type { CodeParser } from './code-parser.js';

/** One syntax problem; line and column are 1-based. */
export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

/** The outcome of {@link checkSyntax}. */
export type SyntaxCheck =
  | { checked: false; reason: string }
  | { checked: true; language: string; problems: SyntaxProblem[] };

/** Problems reported at most (the first ones are the ones that matter). */
const MAX_PROBLEMS = 3;

/** Checks `text` as the language of `path`. Never throws for bad input. */
export function checkSyntax(parser: CodeParser, path: string, text: string): SyntaxCheck {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name.endsWith('.json') || name.endsWith('.jsonc')) {
    const comments =
      name.endsWith('.jsonc') ||
      /^(tsconfig|jsconfig)\b.*\.json$/.test(name) ||
      path.startsWith('.vscode/');
    return {
      checked: true,
      language: comments ? 'jsonc' : 'json',
      problems: jsonProblems(text, comments),
    };
  }
  const language = codeLanguageOf(path);
  if (language === undefined) {
    return { checked: false, reason: 'no syntax check for this file type' };
  }
  const problems = parser.withTree(language, text, (root) => treeProblems(root));
  return problems === undefined
    ? { checked: false, reason: 'the file took too long to parse' }
    : { checked: true, language, problems };
}

function treeProblems(root: Node): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: Node): void => {
    if (problems.length >= MAX_PROBLEMS) {
      return;
    }
    if (node.isMissing) {
      problems.push({ ...position(node), message: `missing ${JSON.stringify(node.type)}` });
      return;
    }
    if (node.isError) {
      const text = node.text.split('\n')[0]?.trim().slice(0, 60) ?? '';
      problems.push({
        ...position(node),
        message: text ? `unexpected ${JSON.stringify(text)}` : 'syntax error',
      });
      return;
    }
    for (const child of node.children) {
      if (child && (child.hasError || child.isMissing)) {
        visit(child);
      }
    }
  };
  if (root.hasError) {
    visit(root);
  }
  return problems;
}

function position(node: Node): { line: number; column: number } {
  return { line: node.startPosition.row + 1, column: node.startPosition.column + 1 };
}

function jsonProblems(text: string, comments: boolean): SyntaxProblem[] {
  const errors: ParseError[] = [];
  parseJson(text, errors, { disallowComments: !comments, allowTrailingComma: comments });
  return errors.slice(0, MAX_PROBLEMS).map((e) => {
    const before = text.slice(0, e.offset).split('\n');
    // `ValueExpected` → `value expected`
    const words = printParseErrorCode(e.error)
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1, message: words };
  });
}
