/**
 * Tandem commit messages: a conventional-commit subject (`test(#12): …`, `feat(#12): …`), an optional body,
 * and git trailers (git-interpret-trailers(1)) that tie each commit to its ticket, role, model, and the
 * protocol step that made it. The step trailers are what lets a restarted run recognise its own commits.
 */
import { z } from 'zod';

/** The trailers on every Tandem commit. */
export const TandemTrailers = z.object({
  /** Ticket number or local id. */
  'Tandem-Ticket': z.string().min(1),
  /** `developer` | `tester`. */
  'Tandem-Role': z.string().min(1),
  /** Catalog alias that wrote the change. */
  'Tandem-Model': z.string().min(1),
  /** Protocol phase that made the commit: `red` | `green` | `refactor`. */
  'Tandem-Phase': z.string().min(1),
  /** 1-based cycle number. */
  'Tandem-Cycle': z.string().regex(/^\d+$/),
});
export type TandemTrailers = z.infer<typeof TandemTrailers>;

/** Order in which trailers are written. */
const TRAILER_ORDER = [
  'Tandem-Ticket',
  'Tandem-Role',
  'Tandem-Model',
  'Tandem-Phase',
  'Tandem-Cycle',
] as const;

/** Inputs of {@link formatCommitMessage}. */
export interface CommitMessage {
  /** One line; newlines are replaced by spaces and it is cut at 100 characters. */
  subject: string;
  body?: string;
  trailers: TandemTrailers;
}

/** Renders subject, blank line, body, blank line, trailers (`Key: value`, one per line). */
export function formatCommitMessage(message: CommitMessage): string {
  const subject = message.subject.replace(/\s+/g, ' ').trim().slice(0, 100);
  const parts = [subject];
  const body = message.body?.trim();
  if (body) {
    parts.push(body);
  }
  parts.push(
    TRAILER_ORDER.map((key) => `${key}: ${message.trailers[key].replace(/\s+/g, ' ')}`).join('\n'),
  );
  return `${parts.join('\n\n')}\n`;
}

/**
 * Reads Tandem trailers from `git log --format=%(trailers:only,unfold)` output of one commit.
 * Returns null when the commit does not carry a complete, valid set.
 */
export function parseTrailers(text: string): TandemTrailers | null {
  const found: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(Tandem-[A-Za-z]+):\s*(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) {
      found[match[1]] = match[2];
    }
  }
  const parsed = TandemTrailers.safeParse(found);
  return parsed.success ? parsed.data : null;
}
