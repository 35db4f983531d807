/**
 * A ranked repository map for prompts, sized in tokens: the files most relevant to the task first, each
 * with its definitions (signature line and line number), then more file names as the budget allows.
 *
 * The method is aider's repo map (https://aider.chat/2023/10/22/repomap.html):
 * 1. tree-sitter reads the definitions and references of every source file (`code-index/`);
 * 2. a graph of files gets an edge from each file that references an identifier to each file that
 *    defines it, weighted by √(references) × a multiplier: ×10 for an identifier the task writes as
 *    code (×2 when an ordinary word of the text is also a name), ×10
 *    for a long compound name (`snake_case`/`camelCase`, 8+ characters: specific), ×0.1 for a private
 *    `_name`, ×0.1 for a name defined in more than 5 files (generic), ×50 when the referencing file is
 *    one the task points at (it will be edited: what it uses matters);
 * 3. PageRank (`code-index/page-rank.ts`) personalised towards the task (see below);
 * 4. each file's rank is shared out over its out-edges to rank definitions (rank × edge weight / the
 *    file's out-weight); a definition also gets a small share of its own file's rank (more when the
 *    task mentions it, divided by the number of files defining it);
 * 5. the files the task names (the Architect's likely files, paths in the text) come first with their
 *    definitions, then the other definitions by rank; the largest number of them whose rendering fits
 *    the budget is found by binary search, and the remaining budget lists further files by rank.
 *
 * Personalisation (step 3) gives each of these a teleport weight of 1: a likely file or a path in the
 * text; a word of the text naming folders or file stems (shared among the files it names); an
 * identifier the text writes as code (shared among the files defining it; 0.25 for an ordinary word
 * that is also a name).
 */
import { codeLanguageOf } from './code-index/code-language.js';
import { CodeParser } from './code-index/code-parser.js';
import { extractTags, TAGS_MAX_CHARS, type Definition } from './code-index/extract-tags.js';
import { pageRank, type RankEdge } from './code-index/page-rank.js';

/** Reads a workspace file; may throw for unreadable files, which are then listed bare. */
export type ReadText = (path: string) => Promise<string>;

/** Counts the tokens of a text for the budget. */
export type CountTokens = (text: string) => number;

/** Options of {@link buildRepoMap}. */
export interface RepoMapOptions {
  /** Budget in tokens as `countTokens` counts them (default {@link DEFAULT_MAP_TOKENS}). */
  maxTokens?: number;
  /** Token counter (default {@link estimateTokens}); pass the model's own where there is one. */
  countTokens?: CountTokens;
  /** What the map is for: its text's identifiers and file names, and files to start from. */
  focus?: { text?: string; files?: readonly string[] };
}

/** Default budget: 2,000 tokens (about the 6,000 characters the map had before it was ranked). */
export const DEFAULT_MAP_TOKENS = 2_000;

/**
 * A conservative token estimate: one token per 3 characters (coder models' tokenizers give about 3.5–4
 * characters per token on source code, so this over-counts and the map stays inside its budget).
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

/**
 * Builds the map of `files` (repository-relative, `/` separators). A number as `options` is a budget in
 * characters (the map's earlier signature). Files that cannot be read, are not source files of a known
 * language, or are over {@link TAGS_MAX_CHARS} are listed by name only.
 */
export async function buildRepoMap(
  files: readonly string[],
  read: ReadText,
  options: number | RepoMapOptions = {},
): Promise<string> {
  const o: RepoMapOptions =
    typeof options === 'number' ? { maxTokens: options, countTokens: (t) => t.length } : options;
  const maxTokens = o.maxTokens ?? DEFAULT_MAP_TOKENS;
  const count = o.countTokens ?? estimateTokens;
  const tags = await readTags(files, read);
  const ranked = rankDefinitions(files, tags, o.focus ?? {});
  return render(ranked, maxTokens, count);
}

/** One file's definitions and how often it uses each name. */
export interface FileIndex {
  definitions: Definition[];
  references: Map<string, number>;
}

async function readTags(files: readonly string[], read: ReadText): Promise<Map<string, FileIndex>> {
  const parser = await CodeParser.load();
  const out = new Map<string, FileIndex>();
  for (const path of files) {
    if (!codeLanguageOf(path)) {
      continue;
    }
    const text = await read(path).catch(() => undefined);
    if (text === undefined || text.length > TAGS_MAX_CHARS) {
      continue;
    }
    const tags = extractTags(parser, path, text);
    if (!tags) {
      continue;
    }
    const references = new Map<string, number>();
    for (const r of tags.references) {
      references.set(r.name, (references.get(r.name) ?? 0) + 1);
    }
    out.set(path, { definitions: tags.definitions, references });
  }
  return out;
}

/** Definitions in rank order, and every file in rank order. */
export interface Ranked {
  definitions: { path: string; definition: Definition }[];
  files: string[];
}

/**
 * Steps 2–4 of the module comment: `files` (all of them, source or not), the `tags` of the source files
 * among them, and the task's `focus` → definitions and files in rank order (ties by path and line).
 */
export function rankDefinitions(
  files: readonly string[],
  tags: ReadonlyMap<string, FileIndex>,
  focus: { text?: string; files?: readonly string[] },
): Ranked {
  const text = focus.text ?? '';
  const words = new Set(text.match(/[A-Za-z_$][\w$]*/g) ?? []);
  const lowerWords = new Set([...words].map((w) => w.toLowerCase()));
  const definers = new Map<string, Set<string>>();
  for (const [path, index] of tags) {
    for (const d of index.definitions) {
      definers.set(d.name, (definers.get(d.name) ?? new Set()).add(path));
    }
  }
  const strong = codeShapedWords(text);
  // How strongly the task names an identifier: 1 when written as code, 0.25 when an ordinary word
  // of the text happens to be a name (`value`, `error`), so prose does not outweigh the task's code.
  const mentioned = new Map<string, number>();
  for (const name of definers.keys()) {
    if (strong.has(name)) {
      mentioned.set(name, 1);
    } else if (words.has(name) || (name.length >= 4 && lowerWords.has(name.toLowerCase()))) {
      mentioned.set(name, 0.25);
    }
  }
  const personalization = new Map<string, number>();
  const add = (path: string, weight: number) =>
    personalization.set(path, (personalization.get(path) ?? 0) + weight);
  const focusFiles = new Set<string>(focus.files ?? []);
  for (const path of files) {
    if (text.includes(path)) {
      focusFiles.add(path);
    }
  }
  for (const path of focusFiles) {
    add(path, 1);
  }
  // A word naming a folder or a file's stem points at those files, shared among them.
  const byComponent = new Map<string, string[]>();
  for (const path of files) {
    for (const component of pathComponents(path)) {
      if (lowerWords.has(component)) {
        byComponent.set(component, [...(byComponent.get(component) ?? []), path]);
      }
    }
  }
  for (const paths of byComponent.values()) {
    for (const path of paths) {
      add(path, 1 / paths.length);
    }
  }
  // A mentioned identifier points at the files defining it, shared among them.
  for (const [ident, strength] of mentioned) {
    const defined = definers.get(ident) ?? new Set();
    for (const path of defined) {
      add(path, strength / defined.size);
    }
  }
  const edges: RankEdge[] = [];
  const edgeIdents: string[] = [];
  for (const [referencer, index] of tags) {
    for (const [ident, uses] of index.references) {
      const defined = definers.get(ident);
      if (!defined) {
        continue;
      }
      const weight =
        multiplier(ident, defined.size, mentioned) *
        (focusFiles.has(referencer) ? 50 : 1) *
        Math.sqrt(uses);
      for (const definer of defined) {
        edges.push({ from: referencer, to: definer, weight });
        edgeIdents.push(ident);
      }
    }
  }
  const nodes = [...new Set([...tags.keys(), ...personalization.keys()])];
  const rank = pageRank(nodes, edges, { personalization });
  const outWeight = new Map<string, number>();
  for (const e of edges) {
    outWeight.set(e.from, (outWeight.get(e.from) ?? 0) + e.weight);
  }
  const score = new Map<string, number>();
  const key = (path: string, ident: string) => `${path}\0${ident}`;
  for (const [i, e] of edges.entries()) {
    const k = key(e.to, edgeIdents[i] ?? '');
    score.set(
      k,
      (score.get(k) ?? 0) + ((rank.get(e.from) ?? 0) * e.weight) / (outWeight.get(e.from) ?? 1),
    );
  }
  const definitions: { path: string; definition: Definition; score: number }[] = [];
  for (const [path, index] of tags) {
    const own = (rank.get(path) ?? 0) / (index.definitions.length + 1);
    for (const definition of index.definitions) {
      const strength = mentioned.get(definition.name) ?? 0;
      const boost =
        strength > 0 ? (10 * strength) / (definers.get(definition.name)?.size ?? 1) : 0.1;
      definitions.push({
        path,
        definition,
        score: (score.get(key(path, definition.name)) ?? 0) + own * boost,
      });
    }
  }
  // The task's own files come first (they will be read or edited), then everything by rank.
  const pinned = (path: string) => (focusFiles.has(path) ? 1 : 0);
  const fileScore = (path: string) => rank.get(path) ?? 0;
  definitions.sort(
    (a, b) =>
      pinned(b.path) - pinned(a.path) ||
      (pinned(a.path) ? fileScore(b.path) - fileScore(a.path) : 0) ||
      b.score - a.score ||
      compare(a.path, b.path) ||
      a.definition.line - b.definition.line,
  );
  const ordered = [...files].sort(
    (a, b) => pinned(b) - pinned(a) || fileScore(b) - fileScore(a) || compare(a, b),
  );
  return { definitions, files: ordered };
}

/**
 * Words the text writes as code: in backticks, followed by `(`, or shaped like identifiers
 * (`snake_case`, `camelCase`, `PascalCase` with an inner capital, digits or `$`).
 */
function codeShapedWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const [, code] of text.matchAll(/`([^`]+)`/g)) {
    for (const word of code?.match(/[A-Za-z_$][\w$]*/g) ?? []) {
      out.add(word);
    }
  }
  for (const [, word] of text.matchAll(/([A-Za-z_$][\w$]*)\s*\(/g)) {
    out.add(word ?? '');
  }
  for (const word of text.match(/[A-Za-z_$][\w$]*/g) ?? []) {
    if (/[a-z][A-Z]|[A-Z]{2}[a-z]|[_$\d]/.test(word.slice(1)) || /^[_$]/.test(word)) {
      out.add(word);
    }
  }
  return out;
}

/** Ordinal comparison (the same order on every machine, unlike `localeCompare`). */
function compare(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

/** Folder names and the file's stem, lower case, 4 characters or more, without generic ones. */
function pathComponents(path: string): string[] {
  const parts = path.toLowerCase().split('/');
  const stem = (parts.pop() ?? '').replace(/\.[^.]*$/, '');
  return [...parts, stem].filter((p) => p.length >= 4 && !GENERIC_COMPONENTS.has(p));
}

const GENERIC_COMPONENTS = new Set([
  'index',
  'main',
  'test',
  'tests',
  'spec',
  'src',
  'lib',
  'dist',
  'util',
  'utils',
]);

/** The weight multiplier of an identifier (step 2 of the module comment). */
function multiplier(
  ident: string,
  definedIn: number,
  mentioned: ReadonlyMap<string, number>,
): number {
  let m = 1;
  const strength = mentioned.get(ident);
  if (strength !== undefined) {
    m *= strength >= 1 ? 10 : 2;
  }
  if (ident.length >= 8 && (/[a-z][A-Z]/.test(ident) || /[a-z]_[a-z]/i.test(ident))) {
    m *= 10;
  }
  if (ident.startsWith('_')) {
    m *= 0.1;
  }
  if (definedIn > 5) {
    m *= 0.1;
  }
  return m;
}

/** Step 5 of the module comment. */
function render(ranked: Ranked, maxTokens: number, count: CountTokens): string {
  const withDefinitions = (k: number): string => renderDefinitions(ranked.definitions.slice(0, k));
  // Room is kept for the closing "… N more files" line, so the map always says it is not complete.
  const room = maxTokens - count(`\n… ${ranked.files.length} more files`);
  let low = 0;
  let high = ranked.definitions.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (count(withDefinitions(mid)) <= room) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  const top = ranked.definitions.slice(0, low);
  const shown = new Set(top.map((d) => d.path));
  const lines = top.length > 0 ? [withDefinitions(low)] : [];
  let used = lines.length > 0 ? count(lines[0] ?? '') : 0;
  const rest = ranked.files.filter((path) => !shown.has(path));
  let listed = 0;
  for (const path of rest) {
    const more = `… ${rest.length - listed} more files`;
    if (used + count(`\n${path}`) + count(`\n${more}`) > maxTokens) {
      break;
    }
    lines.push(path);
    used += count(`\n${path}`);
    listed += 1;
  }
  if (listed < rest.length) {
    const more = `… ${rest.length - listed} more files`;
    if (used + count(`\n${more}`) <= maxTokens) {
      lines.push(more);
    }
  }
  return lines.join('\n');
}

/** Files in the order their first definition ranks, each with its chosen definitions by line. */
function renderDefinitions(
  definitions: readonly { path: string; definition: Definition }[],
): string {
  const byFile = new Map<string, Definition[]>();
  for (const { path, definition } of definitions) {
    byFile.set(path, [...(byFile.get(path) ?? []), definition]);
  }
  const out: string[] = [];
  for (const [path, defs] of byFile) {
    out.push(`${path}:`);
    for (const d of defs.sort((a, b) => a.line - b.line)) {
      out.push(`${String(d.line).padStart(5)}: ${d.signature}`);
    }
  }
  return out.join('\n');
}
