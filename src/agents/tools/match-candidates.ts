/**
 * Where an `old_str` that matched nothing was probably meant to match: first the places that match when
 * indentation and trailing spaces are ignored, else the lines most similar to its first non-blank line
 * (Levenshtein similarity, `fastest-levenshtein`), each shown as the numbered lines it would cover.
 */
import { distance } from 'fastest-levenshtein';
import { numberLines } from './text-lines.js';

/** Candidates shown at most. */
const MAX_CANDIDATES = 3;
/** Similarity (0–1) below which a line is no candidate. */
const MIN_SIMILARITY = 0.5;
/** Lines compared at most (the similarity scan is linear in the file). */
const MAX_SCANNED_LINES = 20_000;

/** A place in the file, with the file's lines it covers, numbered. */
export interface MatchCandidate {
  line: number;
  similarity: number;
  lines: string;
}

/** See the module comment. `fileLines` and `wanted` are split into lines already. */
export function matchCandidates(
  fileLines: readonly string[],
  wanted: readonly string[],
): { kind: 'whitespace' | 'similar'; candidates: MatchCandidate[] } {
  const span = Math.max(1, wanted.length);
  const shown = (start: number): string =>
    numberLines(fileLines.slice(start, Math.min(fileLines.length, start + span)), start + 1);
  const trimmed = wanted.map((l) => l.trim());
  const loose: MatchCandidate[] = [];
  for (let i = 0; i + span <= fileLines.length && loose.length < MAX_CANDIDATES; i++) {
    if (trimmed.every((w, k) => (fileLines[i + k] ?? '').trim() === w)) {
      loose.push({ line: i + 1, similarity: 1, lines: shown(i) });
    }
  }
  if (loose.length > 0) {
    return { kind: 'whitespace', candidates: loose };
  }
  const anchor = trimmed.findIndex((l) => l !== '');
  const needle = trimmed[anchor] ?? '';
  if (needle === '') {
    return { kind: 'similar', candidates: [] };
  }
  const scored: { index: number; similarity: number }[] = [];
  for (let i = 0; i < Math.min(fileLines.length, MAX_SCANNED_LINES); i++) {
    const line = (fileLines[i] ?? '').trim();
    if (line === '') {
      continue;
    }
    const similarity = 1 - distance(line, needle) / Math.max(line.length, needle.length);
    if (similarity >= MIN_SIMILARITY) {
      scored.push({ index: i, similarity });
    }
  }
  scored.sort((a, b) => b.similarity - a.similarity || a.index - b.index);
  return {
    kind: 'similar',
    candidates: scored.slice(0, MAX_CANDIDATES).map(({ index, similarity }) => {
      const start = Math.max(0, index - anchor);
      return {
        line: start + 1,
        similarity: Math.round(similarity * 100) / 100,
        lines: shown(start),
      };
    }),
  };
}
