/**
 * Definitions and references of one source file, read with tree-sitter ({@link CodeParser}) and the
 * queries of `tag-queries.ts`.
 */
import type { Node } from 'web-tree-sitter';
import { codeLanguageOf, type CodeLanguage } from './code-language.js';
import type { CodeParser } from './code-parser.js';
import { definitionsQuery, referencesQuery } from './tag-queries.js';

/** What a definition defines. */
export type DefinitionKind =
  'function' | 'method' | 'class' | 'interface' | 'type' | 'enum' | 'variable';

/** One definition. Lines are 1-based. */
export interface Definition {
  name: string;
  kind: DefinitionKind;
  line: number;
  endLine: number;
  /** The source line the definition starts on, right-trimmed, at most {@link SIGNATURE_MAX_CHARS}. */
  signature: string;
}

/** One use of a name that is not its definition. */
export interface Reference {
  name: string;
  line: number;
}

/** The tags of one file. */
export interface FileTags {
  language: CodeLanguage;
  definitions: Definition[];
  references: Reference[];
}

/** Longest signature kept, in characters (minified code has very long lines). */
export const SIGNATURE_MAX_CHARS = 160;

/** Largest file read for tags, in characters: bigger files are usually generated or minified. */
export const TAGS_MAX_CHARS = 300_000;

/**
 * The tags of `text` read as the language of `path`; undefined for a language without a grammar, a file
 * over {@link TAGS_MAX_CHARS}, or a parse over its time budget.
 */
export function extractTags(parser: CodeParser, path: string, text: string): FileTags | undefined {
  const language = codeLanguageOf(path);
  if (language === undefined || text.length > TAGS_MAX_CHARS) {
    return undefined;
  }
  const lines = text.split('\n');
  return parser.withTree(language, text, (root) => {
    const definitions: Definition[] = [];
    const defined = new Set<number>();
    for (const match of parser.query(language, definitionsQuery(language)).matches(root)) {
      const name = match.captures.find((c) => c.name === 'name')?.node;
      const node = match.captures.find((c) => c.name.startsWith('definition.'));
      if (!name || !node || defined.has(name.startIndex) || isImport(node.name, node.node)) {
        continue;
      }
      defined.add(name.startIndex);
      const row = node.node.startPosition.row;
      definitions.push({
        name: name.text,
        kind: kindOf(node.name, node.node, language),
        line: row + 1,
        endLine: node.node.endPosition.row + 1,
        signature: (lines[row] ?? '').trimEnd().slice(0, SIGNATURE_MAX_CHARS),
      });
    }
    const references: Reference[] = [];
    for (const capture of parser.query(language, referencesQuery(language)).captures(root)) {
      if (!defined.has(capture.node.startIndex)) {
        references.push({ name: capture.node.text, line: capture.node.startPosition.row + 1 });
      }
    }
    definitions.sort((a, b) => a.line - b.line);
    return { language, definitions, references };
  });
}

/**
 * A module-level `const x = require('…')` (or TypeScript's `import x = require('…')`) binds a name
 * defined elsewhere: counting it as a definition would make every importing file a definer.
 */
function isImport(capture: string, node: Node): boolean {
  return capture === 'definition.variable' && /=\s*require\s*\(/.test(node.text.slice(0, 300));
}

function kindOf(capture: string, node: Node, language: CodeLanguage): DefinitionKind {
  const kind = capture.slice('definition.'.length) as DefinitionKind;
  // Python has one node type for functions and methods: a function directly in a class body is a method.
  if (
    language === 'python' &&
    kind === 'function' &&
    node.parent?.parent?.type === 'class_definition'
  ) {
    return 'method';
  }
  return kind;
}
