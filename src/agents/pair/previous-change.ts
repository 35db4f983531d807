/**
 * What a failed attempt changed, kept for the next attempt after the work tree is reset: the diff of
 * tracked files and the new files with their content (a diff would show only their names), within a
 * character budget. The next attempt starts from it instead of from nothing.
 */
import type { PairRun } from './pair-run.js';

/** Characters of one new file shown. */
const NEW_FILE_CHARS = 1_500;

/** The work tree's change against HEAD as a budgeted diff (see the module comment). */
export async function previousChange(run: PairRun, budget = 4_000): Promise<string> {
  const { workspace, sandbox } = run.o;
  const parts: string[] = [];
  const tracked = (await workspace.diff('HEAD', budget)).trim();
  if (tracked) {
    parts.push(tracked);
  }
  const added = (await workspace.changedFiles()).filter((f) => f.change === 'added');
  for (const file of added) {
    const content = await sandbox.readFile(file.path).catch(() => null);
    if (content === null) {
      parts.push(`new file ${file.path} (unreadable)`);
      continue;
    }
    const shown =
      content.length > NEW_FILE_CHARS ? `${content.slice(0, NEW_FILE_CHARS)}\n[… cut]` : content;
    parts.push(
      `--- /dev/null\n+++ b/${file.path}\n${shown
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => `+${l}`)
        .join('\n')}`,
    );
  }
  const text = parts.join('\n');
  return text.length > budget ? `${text.slice(0, budget)}\n[… diff cut]` : text;
}
