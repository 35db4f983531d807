/**
 * `symbols`: where a name is defined and where it is used, read with tree-sitter (TypeScript, TSX,
 * JavaScript, Python, Go), or the outline of one file (its definitions). Only files whose text contains
 * the name are parsed, so a lookup costs a read of the source files and a parse of a few.
 */
import { z } from 'zod';
import { codeLanguageOf } from '../code-index/code-language.js';
import { CodeParser } from '../code-index/code-parser.js';
import { extractTags, type Definition, type FileTags } from '../code-index/extract-tags.js';
import { readIfText } from './read-text-file.js';
import { defineTool, fail, type ToolContext, type ToolResult } from './tool-context.js';
import { cutLine, splitLines } from './text-lines.js';

/** References shown at most (all are counted per file). */
export const SYMBOLS_MAX_REFERENCES = 40;
/** Definitions shown at most. */
const MAX_DEFINITIONS = 30;

export const symbols = defineTool({
  name: 'symbols',
  description:
    "Where a function, class, type or variable is defined and used (TS, JS, Python, Go). Only path: the file's definitions.",
  args: z.object({
    name: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
  }),
  async run(args, ctx) {
    if (args.name === undefined) {
      return args.path === undefined
        ? fail(
            'invalid_arguments',
            'give name (a symbol to look up), path (a file to outline), or both',
          )
        : outline(ctx, args.path);
    }
    const name = args.name;
    if (!/^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(name)) {
      return fail(
        'invalid_arguments',
        `${JSON.stringify(name)} is not an identifier; use search for other text`,
      );
    }
    const parser = await CodeParser.load();
    const files = (args.path === undefined ? await ctx.listFiles() : [args.path]).filter((p) =>
      codeLanguageOf(p),
    );
    const word = new RegExp(
      `(^|[^\\p{L}\\p{N}_$])${name.replace(/\$/g, '\\$')}($|[^\\p{L}\\p{N}_$])`,
      'u',
    );
    const definitions: string[] = [];
    const references: string[] = [];
    const perFile: { path: string; references: number }[] = [];
    const similar = new Set<string>();
    for (const path of files) {
      const text = await readIfText(ctx, path);
      if (text === undefined) {
        continue;
      }
      const lower = text.toLowerCase();
      if (!word.test(text)) {
        if (lower.includes(name.toLowerCase())) {
          // Same letters, other case or part of a longer name: offered when nothing matches exactly.
          for (const d of extractTags(parser, path, text)?.definitions ?? []) {
            if (d.name.toLowerCase().includes(name.toLowerCase())) {
              similar.add(d.name);
            }
          }
        }
        continue;
      }
      const tags = extractTags(parser, path, text);
      if (!tags) {
        continue;
      }
      const lines = splitLines(text).lines;
      for (const d of tags.definitions.filter((d) => d.name === name)) {
        definitions.push(`${path}:${d.line} (${d.kind}) ${d.signature.trim()}`);
      }
      const uses = tags.references.filter((r) => r.name === name);
      if (uses.length > 0) {
        perFile.push({ path, references: uses.length });
      }
      for (const use of uses) {
        if (references.length < SYMBOLS_MAX_REFERENCES) {
          references.push(
            `${path}:${use.line}: ${cutLine((lines[use.line - 1] ?? '').trim(), 200)}`,
          );
        }
      }
    }
    const total = perFile.reduce((n, f) => n + f.references, 0);
    if (definitions.length === 0 && total === 0) {
      const others = [...similar].slice(0, 10);
      return fail(
        'not_found',
        `no definition or use of ${name} in ${files.length} source files${others.length ? `; similar names: ${others.join(', ')}` : ''}`,
      );
    }
    return {
      ok: true,
      name,
      definitions: definitions.slice(0, MAX_DEFINITIONS),
      references,
      references_per_file: perFile,
      ...(total > references.length
        ? { note: `${references.length} of ${total} references shown` }
        : {}),
    };
  },
});

async function outline(ctx: ToolContext, path: string): Promise<ToolResult> {
  if (!codeLanguageOf(path)) {
    return fail(
      'unsupported_language',
      `no outline for ${path}: symbols reads TypeScript, JavaScript, Python and Go`,
    );
  }
  const text = await ctx.files.readFile(path);
  const tags: FileTags | undefined = extractTags(await CodeParser.load(), path, text);
  if (!tags) {
    return fail(
      'unsupported_language',
      `${path} is too large or took too long to parse; use view_file or search`,
    );
  }
  const render = (d: Definition) => `${d.line}-${d.endLine} ${d.kind} ${d.signature.trim()}`;
  return { ok: true, path, definitions: tags.definitions.map(render) };
}
