/**
 * The languages Tandem reads with tree-sitter, by file name: TypeScript, TSX, JavaScript (with JSX),
 * Python and Go. Their grammars are the prebuilt `.wasm` files of `@vscode/tree-sitter-wasm`.
 */

/** A language with a tree-sitter grammar. */
export type CodeLanguage = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go';

const BY_EXTENSION: Readonly<Record<string, CodeLanguage>> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  py: 'python',
  pyi: 'python',
  go: 'go',
};

/** The language of a repository-relative path, or undefined when it has no grammar here. */
export function codeLanguageOf(path: string): CodeLanguage | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.endsWith('.d.ts')) {
    // Declaration files describe code that lives elsewhere; their symbols would only add noise.
    return undefined;
  }
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}
