/**
 * Memories as prompt text: a heading per memory (kind, provenance, date) and its content in a fence
 * longer than any backtick run inside it, so remembered text (written by people and by earlier runs) reads
 * as quoted data and can never close its block and pass for instructions.
 */
import type { MemoryHit } from './project-memory.js';

/** A Markdown code fence that `text` cannot close: one backtick longer than its longest run (at least 3). */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** One memory: `### <kind> · <ref> · <yyyy-mm-dd>` then its fenced content. */
export function renderMemory(hit: MemoryHit): string {
  const fence = fenceFor(hit.content);
  const date = hit.updatedAt.toISOString().slice(0, 10);
  const cut = hit.truncated ? ' (shortened)' : '';
  return `### ${hit.kind} · ${hit.ref} · ${date}${cut}\n${fence}\n${hit.content}\n${fence}`;
}

/** A titled section of memories, or '' when there are none. */
export function renderMemorySection(title: string, hits: readonly MemoryHit[]): string {
  return hits.length === 0 ? '' : [`## ${title}`, '', ...hits.map(renderMemory)].join('\n\n');
}
