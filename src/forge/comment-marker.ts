/**
 * Hidden markers that make a comment "the same logical comment" across updates: an HTML comment
 * `<!-- tandem:<key> -->` on the first line, invisible in rendered Markdown on GitHub and Gitea.
 */

const KEY = /^[A-Za-z0-9._:/-]{1,100}$/;

/**
 * The marker line for `key` (letters, digits, `.`, `_`, `:`, `/`, `-`; at most 100 characters).
 * @throws RangeError when the key has other characters (it would break out of the HTML comment).
 */
export function commentMarker(key: string): string {
  if (!KEY.test(key)) {
    throw new RangeError(`invalid comment marker key: ${JSON.stringify(key)}`);
  }
  return `<!-- tandem:${key} -->`;
}

/** `body` with the marker of `key` as its first line (any existing marker line is replaced). */
export function withMarker(key: string, body: string): string {
  return `${commentMarker(key)}\n${stripMarker(body)}`;
}

/** True when `body` carries the marker of `key`. */
export function hasMarker(key: string, body: string | null | undefined): boolean {
  return (body ?? '').includes(commentMarker(key));
}

/** `body` without a leading Tandem marker line. */
export function stripMarker(body: string): string {
  return body.replace(/^<!-- tandem:[^\n]*? -->\r?\n?/, '');
}
