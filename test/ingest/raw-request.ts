/**
 * Test helper: an HTTP/1.1 request written by hand on a TCP socket, for what `fetch` cannot do: send
 * headers and only part of a body (or none), keep the request open, or abort it mid-body.
 */
import { connect, type Socket } from 'node:net';

/** An open request: the answer once its status line and headers arrived, and the socket. */
export interface RawRequest {
  socket: Socket;
  /** Resolves with the status and lower-case headers of the first answer (not `100 Continue`). */
  answer: Promise<{ status: number; headers: Record<string, string> }>;
  /** Resolves when `100 Continue` arrived (never, when the server answered without it). */
  continued: Promise<void>;
}

/**
 * Connects to `baseUrl`, writes `POST <path>` with `headers` and then `body` (may be partial or
 * empty; the request is not ended unless the bytes complete it).
 */
export function rawRequest(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string = '',
): RawRequest {
  const url = new URL(baseUrl);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => undefined);
  const head = [`POST ${path} HTTP/1.1`, `host: ${url.host}`]
    .concat(Object.entries(headers).map(([k, v]) => `${k}: ${v}`))
    .join('\r\n');
  socket.write(`${head}\r\n\r\n`);
  if (body.length > 0) {
    socket.write(body);
  }
  let text = '';
  let onContinue: () => void = () => undefined;
  const continued = new Promise<void>((resolve) => (onContinue = resolve));
  const answer = new Promise<{ status: number; headers: Record<string, string> }>(
    (resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        for (;;) {
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) {
            return;
          }
          const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
          text = text.slice(end + 4);
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
          if (status === 100) {
            onContinue();
            continue;
          }
          const parsed: Record<string, string> = {};
          for (const line of lines) {
            const colon = line.indexOf(':');
            parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
          }
          resolve({ status, headers: parsed });
          return;
        }
      });
      socket.on('close', () => reject(new Error('connection closed without an answer')));
    },
  );
  // Tests that destroy a request never look at its answer.
  answer.catch(() => undefined);
  return { socket, answer, continued };
}
