import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

/** Removes default/optional/nullable/readonly/prefault wrappers and the input side of pipes. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (
      def.innerType &&
      ['default', 'optional', 'nullable', 'readonly', 'prefault'].includes(def.type)
    ) {
      s = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      s = def.in;
    } else {
      return s;
    }
  }
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> | undefined {
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, AnySchema> };
  return def.type === 'object' ? def.shape : undefined;
}

/**
 * Keys the object schema at `path` inside `schema` accepts (array indices step into the element
 * schema); empty when `path` does not lead to an object. Used for "did you mean" hints.
 */
export function objectKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let s: AnySchema | undefined = schema;
  for (const segment of path) {
    if (s === undefined) {
      return [];
    }
    const inner = unwrap(s);
    const def = inner._zod.def as { type: string; element?: AnySchema };
    if (def.type === 'array') {
      s = def.element;
    } else {
      s = shapeOf(inner)?.[String(segment)];
    }
  }
  return s === undefined ? [] : Object.keys(shapeOf(s) ?? {});
}

/**
 * Every key path of an object schema, dotted and depth-first (`budgets`, `budgets.cycles`, …).
 * Arrays are leaves. docs/configuration.md is checked against this list by a test.
 */
export function schemaKeyPaths(schema: AnySchema, prefix = ''): string[] {
  const shape = shapeOf(schema);
  if (!shape) {
    return [];
  }
  return Object.entries(shape).flatMap(([key, child]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return [path, ...schemaKeyPaths(child, path)];
  });
}
