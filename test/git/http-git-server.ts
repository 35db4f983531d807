/**
 * A real smart-HTTP git server for tests: Node's http server in front of `git http-backend` (CGI), with
 * Basic authentication, so pushes through askpass are exercised end to end without a forge.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';

/** A running server; `url(repo)` is the clone URL of a bare repository under `root`. */
export interface HttpGitServer {
  url(repo: string): string;
  /** Authorization headers seen, for asserting that credentials were (or were not) sent. */
  authorizations: string[];
  close(): Promise<void>;
}

/** Serves bare repositories under `root`, requiring `username:password` for every request. */
export async function startHttpGitServer(
  root: string,
  username: string,
  password: string,
): Promise<HttpGitServer> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const authorizations: string[] = [];
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization;
    if (auth) {
      authorizations.push(auth);
    }
    if (auth !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void execa('git', ['http-backend'], {
        input: Buffer.concat(chunks),
        encoding: 'buffer',
        reject: false,
        env: {
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: '1',
          REMOTE_USER: username,
          PATH_INFO: url.pathname,
          QUERY_STRING: url.search.slice(1),
          REQUEST_METHOD: req.method ?? 'GET',
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          GIT_CONFIG_PARAMETERS: "'http.receivepack'='true'",
        },
      }).then((result) => {
        const out = Buffer.from(result.stdout);
        const split = out.indexOf('\r\n\r\n');
        const head = out.subarray(0, split).toString();
        let status = 200;
        const headers: Record<string, string> = {};
        for (const line of head.split('\r\n')) {
          const [k, ...v] = line.split(':');
          if (!k) {
            continue;
          }
          if (k.toLowerCase() === 'status') {
            status = Number.parseInt(v.join(':').trim(), 10);
          } else {
            headers[k] = v.join(':').trim();
          }
        }
        res.writeHead(status, headers).end(out.subarray(split + 4));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
