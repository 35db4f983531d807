/**
 * Keeps a repository's code index (memories of kind `code`) in step with its base branch, incrementally:
 * every file the chunker supports is read and hashed; only files whose hash differs from the one stored
 * with their chunks are chunked again, chunks of files that are gone are removed, and the rest is left as
 * it is (with its vectors). The new chunks wait for their vectors like any memory (the caller embeds the
 * backlog). One chunk per top-level definition (`code-chunker.ts`), with its provenance: path, lines,
 * symbol, the commit it was read at and the file's hash.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { topLevelChunker, type CodeChunker } from './code-chunker.js';
import type { MemoryStore } from './memory-store.js';
import type { NewMemory } from './memory-types.js';

/** A checked-out tree of the base branch. */
export interface CodeTree {
  branch: string;
  /** The commit the files were read at. */
  commit: string;
  /** Repository-relative paths of the files (tracked, not ignored). */
  files: readonly string[];
  /** Reads a file as UTF-8; may throw for an unreadable file (it is then skipped). */
  read(path: string): Promise<string>;
}

/** What {@link indexCode} did. */
export interface CodeIndexReport {
  /** Files the chunker reads. */
  files: number;
  /** Files chunked again (new or changed). */
  changed: number;
  /** Files whose chunks were removed because the file is gone (or no longer readable). */
  removed: number;
  /** Code memories written. */
  chunks: number;
}

/** Options of {@link indexCode}. */
export interface IndexCodeOptions {
  store: MemoryStore;
  repositoryId: number;
  tree: CodeTree;
  chunker?: CodeChunker;
  logger?: Logger;
  /** Files larger than this many characters are skipped (generated or bundled code). Default 200 000. */
  maxFileChars?: number;
  /** Supported files indexed at most (the first ones, in path order). Default 10 000. */
  maxFiles?: number;
}

/** Hash of a file's text, as stored in its chunks' metadata. */
export function fileHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

/** Updates the code index; see the module comment. */
export async function indexCode(options: IndexCodeOptions): Promise<CodeIndexReport> {
  const { store, repositoryId, tree } = options;
  const chunker = options.chunker ?? topLevelChunker;
  const maxChars = options.maxFileChars ?? 200_000;
  const supported = tree.files.filter((p) => chunker.supports(p)).sort();
  const maxFiles = options.maxFiles ?? 10_000;
  if (supported.length > maxFiles) {
    options.logger?.warn(
      { repositoryId, files: supported.length, maxFiles },
      'memory: code index limited to the first files',
    );
  }
  const files = supported.slice(0, maxFiles);
  const stored = await store.codeFileHashes(repositoryId);
  const changed: string[] = [];
  const present = new Set<string>();
  const chunks: NewMemory[] = [];
  for (const path of files) {
    let text: string;
    try {
      text = await tree.read(path);
    } catch {
      continue;
    }
    if (text.length > maxChars || text.includes('\u0000')) {
      continue;
    }
    present.add(path);
    const hash = fileHash(text);
    if (stored.get(path) === hash) {
      continue;
    }
    changed.push(path);
    for (const c of chunker.chunk(path, text)) {
      chunks.push({
        repositoryId,
        kind: 'code',
        ref: `${path}#${c.symbol}`,
        // The heading line puts the path and symbol into the searchable text.
        content: `${path}:${c.startLine}-${c.endLine} ${c.symbol}\n${c.text}`,
        metadata: {
          path,
          symbol: c.symbol,
          startLine: c.startLine,
          endLine: c.endLine,
          commit: tree.commit,
          fileHash: hash,
        },
      });
    }
  }
  const removed = [...stored.keys()].filter((p) => !present.has(p));
  if (changed.length > 0 || removed.length > 0) {
    await store.replaceCode(repositoryId, [...changed, ...removed], chunks);
  }
  await store.setCodeCommit(repositoryId, tree.branch, tree.commit);
  return {
    files: files.length,
    changed: changed.length,
    removed: removed.length,
    chunks: chunks.length,
  };
}
