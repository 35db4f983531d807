/**
 * Splits source files into symbol-level chunks for the code index: one chunk per top-level definition
 * (function, class, interface, type, exported constant; Python `def`/`class`; Go `func`/`type`; Rust
 * items), with the comments, docstring openers and decorators right above it, up to the next definition.
 * Markdown files are split at their headings. A file without any definition is one chunk (its head).
 *
 * Definitions are found by per-language line patterns at column 0 (the repository map's approach),
 * not by a parser. {@link CodeChunker} is the seam: a tree-sitter chunker (tags with their line ranges)
 * can replace {@link topLevelChunker} without touching the index, which only sees chunks.
 */

/** One chunk of a file. Lines are 1-based and inclusive. */
export interface CodeChunk {
  /** The definition's name (`parseRow`, `Parser`), a heading, or `(file)`. Unique within the file. */
  symbol: string;
  startLine: number;
  endLine: number;
  text: string;
}

/** Splits files into chunks; see the module comment. */
export interface CodeChunker {
  /** True when the chunker reads files at this repository-relative path. */
  supports(path: string): boolean;
  /** The chunks of one file's text (empty for an empty file). */
  chunk(path: string, text: string): CodeChunk[];
}

/** Longest chunk, in lines; a longer definition is split into parts (`symbol`, `symbol@2`, …). */
export const MAX_CHUNK_LINES = 120;

/** Lines of a file without definitions that become its one chunk. */
const FILE_HEAD_LINES = 80;

interface Language {
  ext: RegExp;
  /** A top-level definition; group 1 is its name. */
  definition: RegExp;
  /** Lines that belong to the definition below them (comments, decorators). */
  attached: RegExp;
}

const LANGUAGES: readonly Language[] = [
  {
    ext: /\.(?:[cm]?[jt]sx?)$/,
    definition:
      /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/,
    attached: /^(?:\/\/|\/\*|\s*\*|@)/,
  },
  {
    ext: /\.pyi?$/,
    definition: /^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/,
    attached: /^(?:#|@)/,
  },
  {
    ext: /\.go$/,
    definition: /^(?:func|type)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)/,
    attached: /^\/\//,
  },
  {
    ext: /\.rs$/,
    definition:
      /^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?(?:fn|struct|enum|trait|mod|type|const|static|impl(?:<[^>]*>)?)\s+([A-Za-z_][\w:<>, ]*?)(?:\s|<|\(|\{|;|$)/,
    attached: /^(?:\/\/|#\[)/,
  },
  {
    ext: /\.(?:md|markdown)$/i,
    definition: /^#{1,3}\s+(.+?)\s*#*$/,
    attached: /(?!)/, // nothing attaches to a heading
  },
];

/** Paths never indexed: dependencies, build output, minified and declaration files. */
const SKIPPED = /(?:^|\/)(?:node_modules|vendor|dist|build|\.git)\/|\.min\.[cm]?js$|\.d\.[cm]?ts$/;

/** The chunker of {@link LANGUAGES}; see the module comment. */
export const topLevelChunker: CodeChunker = {
  supports(path) {
    return !SKIPPED.test(path) && LANGUAGES.some((l) => l.ext.test(path));
  },
  chunk(path, text) {
    const language = LANGUAGES.find((l) => l.ext.test(path));
    if (language === undefined || text.trim() === '') {
      return [];
    }
    const lines = text.split('\n');
    const starts: { line: number; name: string }[] = [];
    lines.forEach((line, i) => {
      const name = language.definition.exec(line)?.[1]?.trim();
      if (name) {
        starts.push({ line: i, name });
      }
    });
    if (starts.length === 0) {
      const end = Math.min(lines.length, FILE_HEAD_LINES);
      return [
        { symbol: '(file)', startLine: 1, endLine: end, text: lines.slice(0, end).join('\n') },
      ];
    }
    const names = new Map<string, number>();
    const unique = (name: string): string => {
      const seen = (names.get(name) ?? 0) + 1;
      names.set(name, seen);
      return seen === 1 ? name : `${name}~${seen}`;
    };
    const chunks: CodeChunk[] = [];
    starts.forEach((s, k) => {
      let first = s.line;
      const floor = k === 0 ? 0 : (starts[k - 1]?.line ?? 0) + 1;
      while (first > floor && language.attached.test(lines[first - 1] ?? '')) {
        first -= 1;
      }
      let last = (starts[k + 1]?.line ?? lines.length) - 1;
      // The next definition's comments belong to it, and trailing blank lines to nobody.
      const next = starts[k + 1];
      if (next !== undefined) {
        while (last > s.line && language.attached.test(lines[last] ?? '')) {
          last -= 1;
        }
      }
      while (last > s.line && (lines[last] ?? '').trim() === '') {
        last -= 1;
      }
      const symbol = unique(s.name);
      for (let from = first, part = 1; from <= last; from += MAX_CHUNK_LINES, part += 1) {
        const to = Math.min(last, from + MAX_CHUNK_LINES - 1);
        chunks.push({
          symbol: part === 1 ? symbol : `${symbol}@${part}`,
          startLine: from + 1,
          endLine: to + 1,
          text: lines.slice(from, to + 1).join('\n'),
        });
      }
    });
    return chunks;
  },
};
