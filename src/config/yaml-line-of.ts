import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A key path as zod reports it: object keys and array indices. */
export type KeyPath = readonly PropertyKey[];

/**
 * 1-based line of the YAML node at `path` in `doc`, for error messages.
 *
 * For a map entry the line of its KEY is returned (`cycles: 0` points at `cycles`, and a block value
 * that starts on the next line still points at the key the user wrote); for a sequence item, the
 * item's own line. When the path leads past what the document holds (a key that zod reports missing),
 * the line of the deepest node that exists is returned. Undefined only for an empty document.
 * Uses the ranges the `yaml` package keeps on every node, mapped to lines by its `LineCounter`.
 */
export function yamlLineOf(
  doc: Document,
  lineCounter: LineCounter,
  path: KeyPath,
): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (!pair) {
        break;
      }
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) {
        break;
      }
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) {
    return String(key.value);
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
