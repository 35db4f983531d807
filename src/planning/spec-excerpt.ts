/**
 * The part of an approved spec a ticket comes from, for the pair's prompts: the spec's title and summary,
 * the spec's acceptance criteria that share words with the ticket (its title and criteria), and what is
 * out of scope, within a character budget. A spec that does not follow `renderSpec`'s sections is cut at
 * the budget instead.
 */

const words = (text: string): Set<string> =>
  new Set((text.toLowerCase().match(/[a-z0-9_]{3,}/g) ?? []).filter((w) => !COMMON.has(w)));

const COMMON = new Set([
  'the',
  'and',
  'for',
  'with',
  'that',
  'are',
  'returns',
  'when',
  'from',
  'into',
]);

/** Splits markdown into `## ` sections: heading (lower case) → body. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^## +/m);
  for (const part of parts.slice(1)) {
    const [heading = '', ...body] = part.split('\n');
    out.set(heading.trim().toLowerCase(), body.join('\n').trim());
  }
  return out;
}

/** The excerpt of `markdown` for `ticket` in at most `max` characters (see the module comment). */
export function specExcerpt(
  markdown: string,
  ticket: { title: string; acceptanceCriteria: readonly string[] },
  max = 3_000,
): string {
  const parts = sections(markdown);
  const summary = parts.get('summary');
  if (summary === undefined) {
    const text = markdown.trim();
    return text.length > max ? `${text.slice(0, max - 8)}\n[… cut]` : text;
  }
  const title = /^# +(.+)$/m.exec(markdown)?.[1]?.trim();
  const wanted = words(`${ticket.title} ${ticket.acceptanceCriteria.join(' ')}`);
  const criteria = (parts.get('acceptance criteria') ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, at) => ({
      line,
      at,
      overlap: [...words(line)].filter((w) => wanted.has(w)).length,
    }))
    .filter((c) => c.overlap > 0)
    .sort((a, b) => b.overlap - a.overlap)
    .slice(0, 6)
    .sort((a, b) => a.at - b.at)
    .map((c) => c.line);
  const out = [
    ...(title ? [title] : []),
    summary.slice(0, Math.floor(max / 2)),
    ...(criteria.length > 0 ? ['Related acceptance criteria of the spec:', ...criteria] : []),
    ...(parts.get('out of scope')
      ? [`Out of scope:\n${parts.get('out of scope')!.slice(0, 600)}`]
      : []),
  ].join('\n\n');
  return out.length > max ? `${out.slice(0, max - 8)}\n[… cut]` : out;
}
