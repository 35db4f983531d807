/**
 * tree-sitter through `web-tree-sitter` (the project's own WebAssembly binding) with the grammar files of
 * `@vscode/tree-sitter-wasm`. Both load offline from node_modules and run on the host: no process, no
 * network. Parsing is error-tolerant (a tree is always returned, with `ERROR`/`MISSING` nodes where the
 * text does not fit the grammar) and bounded by a time budget.
 */
import { createRequire } from 'node:module';
import { Language, Parser, Query, type Node, type Tree } from 'web-tree-sitter';
import type { CodeLanguage } from './code-language.js';

const require = createRequire(import.meta.url);

const GRAMMAR_FILE: Readonly<Record<CodeLanguage, string>> = {
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  python: 'tree-sitter-python.wasm',
  go: 'tree-sitter-go.wasm',
};

/** Longest a single parse may take, in ms, before it is given up (the file is then treated as unparsed). */
export const PARSE_BUDGET_MS = 2_000;

/**
 * Parsers and compiled queries, one per language, made on first use. web-tree-sitter's runtime is
 * process-wide (`Parser.init` instantiates one WebAssembly module), so the loaded instance is shared
 * through {@link CodeParser.load}; it holds nothing but grammars and compiled queries, never file content.
 */
export class CodeParser {
  private readonly parsers = new Map<CodeLanguage, Parser>();
  private readonly queries = new Map<string, Query>();

  private constructor(private readonly languages: ReadonlyMap<CodeLanguage, Language>) {}

  /** The shared instance (the runtime and all grammars are loaded once, about 100 ms). */
  static load(): Promise<CodeParser> {
    shared ??= (async () => {
      await Parser.init();
      const entries = await Promise.all(
        (Object.keys(GRAMMAR_FILE) as CodeLanguage[]).map(
          async (lang) =>
            [
              lang,
              await Language.load(
                require.resolve(`@vscode/tree-sitter-wasm/wasm/${GRAMMAR_FILE[lang]}`),
              ),
            ] as const,
        ),
      );
      return new CodeParser(new Map(entries));
    })();
    // A failed load is not cached: the next caller tries again.
    shared.catch(() => {
      shared = undefined;
    });
    return shared;
  }

  /**
   * Parses `text` and hands the root node to `use`; the tree is freed afterwards (WebAssembly memory is
   * not garbage-collected), so `use` must not keep nodes. Returns undefined when parsing took longer than
   * {@link PARSE_BUDGET_MS}.
   */
  withTree<T>(language: CodeLanguage, text: string, use: (root: Node) => T): T | undefined {
    const parser = this.parser(language);
    const deadline = Date.now() + PARSE_BUDGET_MS;
    let tree: Tree | null = null;
    try {
      tree = parser.parse(text, null, {
        // Returning true cancels the parse (the type says void; the binding checks the value).
        progressCallback: () => Date.now() > deadline,
      });
      return tree ? use(tree.rootNode) : undefined;
    } finally {
      tree?.delete();
      parser.reset();
    }
  }

  /** A compiled query for `language` (cached by its source). */
  query(language: CodeLanguage, source: string): Query {
    const key = `${language}\0${source}`;
    let query = this.queries.get(key);
    if (!query) {
      query = new Query(this.grammar(language), source);
      this.queries.set(key, query);
    }
    return query;
  }

  private parser(language: CodeLanguage): Parser {
    let parser = this.parsers.get(language);
    if (!parser) {
      parser = new Parser();
      parser.setLanguage(this.grammar(language));
      this.parsers.set(language, parser);
    }
    return parser;
  }

  private grammar(language: CodeLanguage): Language {
    const grammar = this.languages.get(language);
    if (!grammar) {
      throw new Error(`no tree-sitter grammar loaded for ${language}`);
    }
    return grammar;
  }
}

let shared: Promise<CodeParser> | undefined;
