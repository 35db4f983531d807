/**
 * The code the Architect reads beside the spec: search hits for the spec's key terms and the content of
 * the files those hits point to, each within a character budget. Agentless localises a change the same
 * way (from the terms to files, then to their content) before it plans a repair; without it the
 * Architect guesses `likelyFiles` from file names alone.
 *
 * Key terms, in order: code spans and identifiers written in the spec (`csvExport`, `parse_row`,
 * `src/export.ts`, `Exporter.write`), then the prose words that occur most (at least five letters, common
 * English and spec words left out). A file's score is the number of distinct terms found in it plus
 * two per term in its path; ties keep the order of the first hit.
 */

/** What {@link architectContext} reads: the repository's files, search and file reads. */
export interface CodeAccess {
  /** Files of the repository (repository-relative). */
  files: readonly string[];
  /** Searches file contents with an extended regular expression (as `GitWorkspace.grep`). */
  grep(
    pattern: string,
    maxResults: number,
  ): Promise<{ path: string; line: number; text: string }[]>;
  readFile(path: string): Promise<string>;
}

/** Budgets of {@link architectContext}, in characters (and files). */
export interface CodeContextBudget {
  /** Key terms searched (default 12). */
  terms?: number;
  /** Characters of search hits (default 3,000). */
  hitsChars?: number;
  /** Files whose content is shown (default 4). */
  files?: number;
  /** Characters of file content in all (default 8,000), shared by the files shown. */
  filesChars?: number;
}

/** Search hits and file contents for the Architect's prompt. */
export interface CodeContext {
  terms: string[];
  /** `term: path:line: text` lines, grouped by term; empty when nothing was found. */
  searchHits: string;
  /** The likeliest files with their (possibly cut) content. */
  files: { path: string; content: string }[];
}

const STOP_WORDS = new Set(
  (
    'about above after again against allow allows being below between could should would their there these ' +
    'those which while where whose other every given using user users story stories accept acceptance ' +
    'criteria criterion returns return value values when with without within must shall never always ' +
    'empty first second third string number table tests test spec summary scope question questions ' +
    'issue request feature support supports example examples into from that this have will able ' +
    'each also only same such than then them they what because before under until ticket tickets ' +
    // Words every program is full of: searching them finds everything.
    'export exports exported import imports imported function functions class classes const public ' +
    'private static interface default module modules package object objects array arrays files'
  ).split(' '),
);

/** Code-like tokens: identifiers with a capital, `_`, `.` or `/` inside, and paths. */
const CODE_TOKEN =
  /[A-Za-z_][\w$]*(?:[./][\w$-]+)+|[a-z]+[A-Z][\w$]*|[A-Za-z]+_[\w$]+|[A-Z][a-z]+[A-Z][\w$]*/g;

/** The spec's key terms, most telling first (see the module comment), at most `max`. */
export function specKeyTerms(markdown: string, max = 12): string[] {
  const terms: string[] = [];
  const add = (t: string): void => {
    const term = t.replace(/^[./]+|[./:,;]+$/g, '');
    const key = searchStem(term.toLowerCase());
    if (term.length >= 3 && !terms.some((x) => searchStem(x.toLowerCase()) === key)) {
      terms.push(term);
    }
  };
  for (const span of markdown.matchAll(/`([^`\n]{1,80})`/g)) {
    const inner = span[1]!;
    if (/^\/[a-z]+/.test(inner)) {
      continue; // a slash command such as `/approve`, not code
    }
    const tokens = inner.match(CODE_TOKEN) ?? inner.match(/[A-Za-z_][\w$]{2,}/g) ?? [];
    tokens.forEach(add);
  }
  const prose = markdown.replace(/`[^`\n]*`/g, ' ');
  for (const m of prose.match(CODE_TOKEN) ?? []) {
    add(m);
  }
  const counts = new Map<string, number>();
  for (const word of prose.toLowerCase().match(/[a-z]{5,}/g) ?? []) {
    if (!STOP_WORDS.has(word)) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  [...counts.entries()].sort((a, b) => b[1] - a[1]).forEach(([word]) => add(word));
  return terms.slice(0, max);
}

/**
 * The stem a prose word is searched by (`quoting` → `quot`, `exports` → `export`), so the search finds the
 * code's other forms of it; identifiers and paths are searched as written.
 */
export function searchStem(term: string): string {
  if (!/^[a-z]+$/.test(term)) {
    return term;
  }
  const stem = term.replace(/(ing|ed|es|s)$/, '');
  return stem.length >= 4 ? stem : term;
}

/** An extended regular expression matching `term` literally, its first letter in either case. */
export function termPattern(term: string): string {
  const escaped = term.replace(/[\\^$.*+?()[\]{}|/-]/g, (c) => `\\${c}`);
  const first = term[0] ?? '';
  return /[A-Za-z]/.test(first)
    ? `[${first.toUpperCase()}${first.toLowerCase()}]${escaped.slice(1)}`
    : escaped;
}

/**
 * Searches the spec's key terms, ranks the files they point to and reads the best ones, within the
 * budget. Search or read failures of one term or file are skipped (the Architect still gets the rest).
 */
export async function architectContext(
  specMarkdown: string,
  access: CodeAccess,
  budget: CodeContextBudget = {},
): Promise<CodeContext> {
  const terms = specKeyTerms(specMarkdown, budget.terms ?? 12);
  const hitsChars = budget.hitsChars ?? 3_000;
  const score = new Map<string, number>();
  const lines: string[] = [];
  let used = 0;
  for (const term of terms) {
    const hits = await access.grep(termPattern(searchStem(term)), 20).catch(() => []);
    for (const path of new Set(hits.map((h) => h.path))) {
      score.set(path, (score.get(path) ?? 0) + 1);
    }
    for (const h of hits.slice(0, 5)) {
      const line = `${term}: ${h.path}:${h.line}: ${h.text.trim().slice(0, 160)}`;
      if (used + line.length + 1 <= hitsChars) {
        lines.push(line);
        used += line.length + 1;
      }
    }
  }
  for (const path of access.files) {
    const lower = path.toLowerCase();
    const inPath = terms.filter((t) => lower.includes(searchStem(t).toLowerCase())).length;
    if (inPath > 0) {
      score.set(path, (score.get(path) ?? 0) + 2 * inPath);
    }
  }
  const ranked = [...score.entries()]
    .filter(([path]) => access.files.includes(path))
    .sort((a, b) => b[1] - a[1])
    .slice(0, budget.files ?? 4)
    .map(([path]) => path);
  const perFile = Math.floor((budget.filesChars ?? 8_000) / Math.max(1, ranked.length));
  const files: { path: string; content: string }[] = [];
  for (const path of ranked) {
    const content = await access.readFile(path).catch(() => null);
    if (content !== null) {
      files.push({
        path,
        content: content.length > perFile ? `${content.slice(0, perFile)}\n[… cut]` : content,
      });
    }
  }
  return { terms, searchHits: lines.join('\n'), files };
}
