/**
 * A fake Hugging Face mirror on 127.0.0.1 (node:http, real sockets): our own upstream for the embedded
 * model's first-use download, so the download path of node-llama-cpp runs for real, offline.
 *
 * It serves exactly what node-llama-cpp 3.22 (`resolveModelFile` → `createModelDownloader` → ipull 3.9)
 * requests for an `hf:owner/repo/path/file.gguf` reference with `endpoints.huggingFace` set to this mirror:
 * - `HEAD /` — Tandem's own reachability probe (`resolveGgufFile`), answered 200 like huggingface.co.
 * - `GET /{owner}/{repo}/resolve/{revision}/{path}?download=true` — the resolved URL
 *   (`parseModelUri.js`, `parseHuggingFaceUriContent`). As on huggingface.co for an LFS file, the answer is a
 *   302 to a content URL (here `/cdn/{sha256}/{file}`) with `X-Linked-Size`, `X-Linked-ETag` (the
 *   sha256) and `X-Repo-Commit`; `fetch` follows it and ipull keeps the final URL.
 * - `GET /cdn/{sha256}/{file}` — the bytes: first a plain GET (ipull's download-info request, which it
 *   never reads to the end), then `Range: bytes=a-b` requests answered 206 with `Content-Range`
 *   (`Accept-Ranges: bytes`, `Content-Length`, `Content-Disposition` as the CDN sends them).
 * - `GET /v2/{owner}/{repo}/manifests/{tag}` — only for the `hf:owner/repo:quant` form: the llama.cpp
 *   manifest `{ ggufFile: { rfilename, size } }` (the first file whose name contains the tag).
 * Anything else is a 404 with `X-Error-Code: EntryNotFound` (or `RepoNotFound`). Every request is logged
 * (method, path, range header, status, bytes of body sent) so tests assert what was fetched.
 *
 * Faults for the error paths: `truncate` sends the full `Content-Length` header, then only `afterBytes`
 * bytes of the body and destroys the socket (an interrupted transfer), for the next `times` body
 * responses (default: all of them); `missing` answers 404 for every resolve and content URL.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One file of one repository on the mirror. */
export interface HfMirrorFile {
  /** `owner/repo`. */
  repo: string;
  /** Path of the file in the repository (`model.Q4_K_M.gguf`, `sub/dir/file.gguf`). */
  path: string;
  content: Buffer;
}

/** A failure the content route injects. */
export type HfMirrorFault =
  { kind: 'truncate'; afterBytes: number; times?: number } | { kind: 'missing' };

/** Options of {@link startHfMirror}. */
export interface HfMirrorOptions {
  files: HfMirrorFile[];
  /** Body bytes written per write (default 32 KiB), so the client sees several progress steps. */
  chunkBytes?: number;
  /** Pause between body writes, in ms (default 2). */
  chunkDelayMs?: number;
  fault?: HfMirrorFault;
  /**
   * Send `Content-Length` with file bodies (default true). `false` streams them chunked and ignores
   * `Range`, like a proxy that re-encodes: the client cannot know the size.
   */
  contentLength?: boolean;
}

/** One request the mirror answered. */
export interface HfMirrorRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** `Range` request header, when sent. */
  range?: string;
  status: number;
  /** Body bytes written (before a truncation or the client going away). */
  bytesSent: number;
}

/** A running mirror. */
export interface HfMirror {
  /** Base URL with a trailing slash (`http://127.0.0.1:PORT/`), for `huggingFaceEndpoint`. */
  url: string;
  /** Every request so far, in arrival order (entries are completed when the response ends). */
  requests: HfMirrorRequest[];
  /** Requests for a file's bytes (the content route), to count downloads. */
  contentRequests(): HfMirrorRequest[];
  /** Replaces the fault (undefined: none). */
  setFault(fault: HfMirrorFault | undefined): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

interface Entry extends HfMirrorFile {
  sha256: string;
}

const COMMIT = 'a'.repeat(40);

/** Starts the mirror on 127.0.0.1 on a free port. */
export async function startHfMirror(options: HfMirrorOptions): Promise<HfMirror> {
  const entries: Entry[] = options.files.map((f) => ({
    ...f,
    sha256: createHash('sha256').update(f.content).digest('hex'),
  }));
  const chunkBytes = options.chunkBytes ?? 32 * 1024;
  const chunkDelayMs = options.chunkDelayMs ?? 2;
  let fault = options.fault;
  let truncated = 0;
  const requests: HfMirrorRequest[] = [];

  const notFound = (res: ServerResponse, log: HfMirrorRequest, code = 'EntryNotFound'): void => {
    log.status = 404;
    res.writeHead(404, { 'content-type': 'text/plain', 'x-error-code': code });
    res.end('Entry not found');
  };

  const sendBody = async (
    res: ServerResponse,
    log: HfMirrorRequest,
    body: Buffer,
    cutAfter: number | undefined,
  ): Promise<void> => {
    const limit = cutAfter === undefined ? body.length : Math.min(cutAfter, body.length);
    for (let at = 0; at < limit; at += chunkBytes) {
      if (res.destroyed) {
        return;
      }
      const piece = body.subarray(at, Math.min(at + chunkBytes, limit));
      res.write(piece);
      log.bytesSent += piece.length;
      if (chunkDelayMs > 0) {
        await sleep(chunkDelayMs);
      }
    }
    if (cutAfter === undefined) {
      res.end();
    } else {
      // An interrupted transfer: the promised Content-Length never arrives.
      res.socket?.destroy();
    }
  };

  const content = async (
    req: IncomingMessage,
    res: ServerResponse,
    log: HfMirrorRequest,
    entry: Entry,
  ): Promise<void> => {
    const file = entry.path.split('/').pop() ?? entry.path;
    const size = entry.content.length;
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${entry.sha256}"`,
      'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(file)}; filename="${file}";`,
    };
    let start = 0;
    let end = size - 1;
    const sendLength = options.contentLength ?? true;
    if (!sendLength) {
      delete headers['accept-ranges'];
    }
    const range = sendLength ? /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '') : null;
    if (range) {
      start = range[1] === '' ? size - Number(range[2]) : Number(range[1]);
      end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        log.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    const body = entry.content.subarray(start, end + 1);
    if (sendLength) {
      headers['content-length'] = body.length;
    }
    log.status = range ? 206 : 200;
    res.writeHead(log.status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let cutAfter: number | undefined;
    // ipull's download-info GET is never read to the end: only the reads it keeps count as transfers.
    const counted = range !== null || !sendLength;
    if (fault?.kind === 'truncate' && counted && truncated < (fault.times ?? Infinity)) {
      truncated += 1;
      cutAfter = fault.afterBytes;
    }
    await sendBody(res, log, body, cutAfter);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const log: HfMirrorRequest = { method: req.method ?? 'GET', url, status: 0, bytesSent: 0 };
    if (req.headers.range !== undefined) {
      log.range = req.headers.range;
    }
    requests.push(log);
    const path = decodeURIComponent(new URL(url, 'http://mirror').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      log.status = 405;
      res.writeHead(405).end();
      return;
    }
    if (path === '/') {
      log.status = 200;
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>mirror</html>');
      return;
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})\/[^/]+$/.exec(path);
    if (cdn) {
      const entry = entries.find((e) => e.sha256 === cdn[1]);
      if (!entry || fault?.kind === 'missing') {
        notFound(res, log);
        return;
      }
      await content(req, res, log, entry);
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) {
      const [, repo, , filePath] = resolve;
      if (!entries.some((e) => e.repo === repo)) {
        notFound(res, log, 'RepoNotFound');
        return;
      }
      const entry = entries.find((e) => e.repo === repo && e.path === filePath);
      if (!entry || fault?.kind === 'missing') {
        notFound(res, log);
        return;
      }
      const file = encodeURIComponent(entry.path.split('/').pop() ?? entry.path);
      log.status = 302;
      res.writeHead(302, {
        location: `/cdn/${entry.sha256}/${file}`,
        'x-linked-size': entry.content.length,
        'x-linked-etag': `"${entry.sha256}"`,
        'x-repo-commit': COMMIT,
      });
      res.end();
      return;
    }
    const manifest = /^\/v2\/([^/]+\/[^/]+)\/manifests\/([^/]+)$/.exec(path);
    if (manifest) {
      const [, repo, tag = 'latest'] = manifest;
      const files = entries.filter((e) => e.repo === repo && e.path.endsWith('.gguf'));
      const entry =
        tag === 'latest'
          ? files[0]
          : files.find((e) => e.path.toLowerCase().includes(tag.toLowerCase()));
      if (!entry) {
        notFound(res, log, 'RepoNotFound');
        return;
      }
      log.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ggufFile: { rfilename: entry.path, size: entry.content.length, blobId: entry.sha256 },
        }),
      );
      return;
    }
    notFound(res, log);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    contentRequests: () => requests.filter((r) => r.url.startsWith('/cdn/')),
    setFault: (f) => {
      fault = f;
      truncated = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
