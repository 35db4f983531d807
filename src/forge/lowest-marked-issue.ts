/**
 * The selection rule of `Forge.findIssueByMarker`, shared by both forge clients: among the labelled
 * issues, the lowest-numbered one whose body carries the hidden marker (`comment-marker.ts`).
 */
import { hasMarker } from './comment-marker.js';

/**
 * The issue to return from `Forge.findIssueByMarker` among `issues` (already filtered to real
 * issues with the label): the lowest-numbered one whose body carries `marker`, or null.
 */
export function lowestMarkedIssue<T extends { number: number; body: string }>(
  issues: readonly T[],
  marker: string,
): T | null {
  const found = issues.filter((i) => hasMarker(marker, i.body)).sort((a, b) => a.number - b.number);
  return found[0] ?? null;
}
