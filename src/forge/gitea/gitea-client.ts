/**
 * A small client for Gitea's REST API (`/api/v1`, swagger at `<gitea>/api/swagger`): token auth,
 * JSON in and out, zod-parsed responses, page/limit pagination, and `ForgeRequestError` on failure.
 * The token is sent only in the `Authorization: token …` header and never appears in an error.
 */
import type { z } from 'zod';
import { ForgeRequestError } from '../../errors/forge-request-error.js';
import { redactSecrets } from '../../errors/redact-secrets.js';

/** Collaborators and settings of {@link createGiteaClient}. */
export interface GiteaClientOptions {
  /** Base URL of the Gitea server, e.g. `https://gitea.example.com` (no `/api/v1`). */
  baseUrl: string;
  /** The bot's access token. */
  token: string;
  /** `fetch` implementation; defaults to the global one. */
  fetch?: typeof fetch;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
}

/** One request: method, a path template (for errors) with its values filled in, query and body. */
export interface GiteaRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Template shown in errors, e.g. `/repos/{owner}/{repo}/issues/{index}`. */
  route: string;
  /** The concrete path below `/api/v1`, already URL-encoded. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
}

/** The client {@link createGiteaClient} returns; both calls throw `ForgeRequestError` on failure. */
export interface GiteaClient {
  /** Sends a request and parses the JSON answer (`null` for an empty body) with `schema`. */
  request<T extends z.ZodType>(req: GiteaRequest, schema: T): Promise<z.infer<T>>;
  /** Like `request` for list endpoints: follows `page`/`limit` until a short page. */
  paginate<T extends z.ZodType>(req: GiteaRequest, item: T, limit?: number): Promise<z.infer<T>[]>;
}

/** Encodes each value of a path, e.g. `seg(owner)`. */
export const seg = (value: string | number): string => encodeURIComponent(String(value));

/** Creates the client. */
export function createGiteaClient(options: GiteaClientOptions): GiteaClient {
  const doFetch = options.fetch ?? fetch;
  const api = `${options.baseUrl.replace(/\/+$/, '')}/api/v1`;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function send(req: GiteaRequest): Promise<unknown> {
    const url = new URL(`${api}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      url.searchParams.set(k, String(v));
    }
    let res: Response;
    try {
      res = await doFetch(url, {
        method: req.method,
        headers: {
          authorization: `token ${options.token}`,
          accept: 'application/json',
          ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const detail = redactSecrets(error instanceof Error ? error.message : String(error), [
        options.token,
      ]);
      throw new ForgeRequestError('gitea', req.method, req.route, 0, detail, { cause: error });
    }
    const text = await res.text();
    if (!res.ok) {
      const detail = redactSecrets(text.slice(0, 300), [options.token]);
      throw new ForgeRequestError('gitea', req.method, req.route, res.status, detail);
    }
    if (text === '') {
      return null;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ForgeRequestError('gitea', req.method, req.route, res.status, 'invalid JSON', {
        cause: error,
      });
    }
  }

  function parse<T extends z.ZodType>(req: GiteaRequest, schema: T, data: unknown): z.infer<T> {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new ForgeRequestError('gitea', req.method, req.route, 200, 'unexpected response', {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  return {
    async request(req, schema) {
      return parse(req, schema, await send(req));
    },
    async paginate(req, item, limit = 50) {
      const all: z.infer<typeof item>[] = [];
      for (let page = 1; page <= 1000; page++) {
        const data = await send({ ...req, query: { ...req.query, page, limit } });
        const list = Array.isArray(data) ? data : [];
        for (const entry of list) {
          all.push(parse(req, item, entry));
        }
        if (list.length < limit) {
          break;
        }
      }
      return all;
    },
  };
}
