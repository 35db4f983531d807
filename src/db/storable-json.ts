/**
 * Makes a JSON value storable in PostgreSQL's `jsonb`, which refuses two things JavaScript strings can
 * hold: the NUL character (`\u0000`, "unsupported Unicode escape sequence") and lone UTF-16 surrogates
 * (an unpaired `\ud800`, "invalid Unicode surrogate pair"). Webhook payloads and comment bodies may carry
 * either; one such string must not make a whole delivery, job or batch unstorable, so each is replaced by
 * U+FFFD (the Unicode replacement character), in keys as in values.
 */

/** One string made storable: NUL and lone surrogates replaced by U+FFFD. */
export function storableString(value: string): string {
  return value.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

/**
 * A deep copy of `value` (plain JSON data: objects, arrays, strings, numbers, booleans, null) whose every
 * string and key is {@link storableString}. Values that need no change are returned as they are, so the
 * common case allocates nothing. `undefined` object members are kept (JSON serialisation drops them).
 */
export function toStorableJson<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') {
    return needsCleaning(value) ? storableString(value) : value;
  }
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    let copy: unknown[] | undefined;
    items.forEach((item, i) => {
      const cleaned = clean(item);
      if (cleaned !== item) {
        copy ??= [...items];
        copy[i] = cleaned;
      }
    });
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const cleanKey = needsCleaning(key) ? storableString(key) : key;
      const cleaned = clean(item);
      if (cleaned !== item || cleanKey !== key) {
        copy ??= { ...(value as Record<string, unknown>) };
        if (cleanKey !== key) {
          delete copy[key];
        }
        copy[cleanKey] = cleaned;
      }
    }
    return copy ?? value;
  }
  return value;
}

function needsCleaning(s: string): boolean {
  return s.includes('\u0000') || !s.isWellFormed();
}
