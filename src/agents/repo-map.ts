/**
 * A size-bounded repository map for prompts: the file list with the top-level symbols of each source file
 * (functions, classes, exported constants), found with per-language line patterns (the idea of aider's
 * repo map, without tree-sitter). Files past the budget are listed by name only, then cut.
 */

/** Reads a workspace file (host side); may throw for unreadable files, which are then listed bare. */
export type ReadText = (path: string) => Promise<string>;

const SYMBOL_PATTERNS: readonly { ext: RegExp; line: RegExp }[] = [
  {
    ext: /\.(m|c)?[jt]sx?$/,
    line: /^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/,
  },
  { ext: /\.py$/, line: /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/ },
  { ext: /\.go$/, line: /^(?:func|type)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)/ },
  { ext: /\.rs$/, line: /^(?:pub\s+)?(?:fn|struct|enum|trait|mod)\s+([A-Za-z_]\w*)/ },
];

/** Top-level symbol names of one file's text (empty for unknown languages). */
export function topLevelSymbols(path: string, text: string): string[] {
  const pattern = SYMBOL_PATTERNS.find((p) => p.ext.test(path));
  if (!pattern) {
    return [];
  }
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const name = pattern.line.exec(line)?.[1];
    if (name && !names.includes(name)) {
      names.push(name);
    }
  }
  return names;
}

/**
 * Renders `files` with their symbols, at most `maxChars` characters. Only source files of a known language
 * are read (and their symbols used when under 200 kB).
 * Returns one line per file: `path: sym1, sym2`.
 */
export async function buildRepoMap(
  files: readonly string[],
  read: ReadText,
  maxChars = 6_000,
): Promise<string> {
  const lines: string[] = [];
  let size = 0;
  for (const path of files) {
    let line = path;
    if (size < maxChars * 0.8 && SYMBOL_PATTERNS.some((p) => p.ext.test(path))) {
      const text = await read(path).catch(() => '');
      const symbols = text.length < 200_000 ? topLevelSymbols(path, text) : [];
      if (symbols.length > 0) {
        line = `${path}: ${symbols.slice(0, 30).join(', ')}`;
      }
    }
    if (size + line.length + 1 > maxChars) {
      lines.push(`… ${files.length - lines.length} more files`);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}
