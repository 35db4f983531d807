/**
 * GitHub's REST API description (`@octokit/openapi`, api.github.com) compiled into a request checker:
 * an unknown method + path, an unknown top-level body field or a missing required one is a violation.
 * Used by `http-mock.ts` for every request a test sends to the GitHub host.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Operation {
  requestBody?: { content?: Record<string, { schema?: BodySchema }> };
}
interface BodySchema {
  type?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  additionalProperties?: unknown;
  oneOf?: BodySchema[];
  anyOf?: BodySchema[];
}
interface Route {
  template: string;
  pattern: RegExp;
  literals: number;
  operations: Record<string, Operation>;
}

/** Path parameters that may contain `/` (file paths, git refs). */
const GREEDY = new Set(['path', 'ref', 'name']);

function compile(): Route[] {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
  };
  return Object.entries(spec.paths).map(([template, operations]) => {
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const param = /^\{([^}]+)\}$/.exec(part)?.[1];
        if (param !== undefined) {
          return GREEDY.has(param) ? '(.+)' : '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    return {
      template,
      pattern: new RegExp(`^${source}$`),
      literals: template.replace(/\{[^}]+\}/g, '').length,
      operations,
    };
  });
}

let routes: Route[] | undefined;

/**
 * Checks one request against the description.
 * @param method HTTP method, any case
 * @param path request path with query string (the query is ignored)
 * @param body the request body text, if any (checked when it is a JSON object)
 * @returns a list of problems; empty when the request is valid
 */
export function checkGithubRequest(method: string, path: string, body?: string): string[] {
  routes ??= compile();
  const pathname = decodeURIComponent(path.split('?')[0] ?? '');
  const verb = method.toLowerCase();
  const matches = routes
    .filter((r) => r.pattern.test(pathname))
    .sort((a, b) => b.literals - a.literals);
  if (matches.length === 0) {
    return [`${method} ${pathname}: no such path in GitHub's OpenAPI description`];
  }
  const route = matches.find((r) => r.operations[verb] !== undefined);
  if (!route) {
    return [`${method} ${pathname}: method not allowed on ${matches[0]!.template}`];
  }
  const schema = route.operations[verb]!.requestBody?.content?.['application/json']?.schema;
  if (!schema || body === undefined || body === '') {
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`${method} ${route.template}: body is not JSON`];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return [];
  }
  const variants = schema.oneOf ?? schema.anyOf ?? [schema];
  const problems = variants.map((v) => checkObject(v, parsed as Record<string, unknown>));
  if (problems.some((p) => p.length === 0)) {
    return [];
  }
  return problems[0]!.map((p) => `${method} ${route.template}: ${p}`);
}

function checkObject(schema: BodySchema, body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const known = schema.properties;
  if (known) {
    for (const key of Object.keys(body)) {
      if (!(key in known)) {
        problems.push(`unknown body field "${key}"`);
      }
    }
  }
  for (const key of schema.required ?? []) {
    if (!(key in body)) {
      problems.push(`missing required body field "${key}"`);
    }
  }
  return problems;
}
