/**
 * Decoding of the `content` field of a contents API answer. GitHub (`GET …/contents/{path}`) and Gitea
 * (`ContentsResponse`) both send the file base64-encoded with `encoding: "base64"`.
 */

/**
 * The file text as UTF-8: `content` is base64-decoded when `encoding` is `base64`, else taken as is.
 * Never throws (invalid base64 characters are skipped, as `Buffer.from` does).
 */
export function decodeFileContent(content: string, encoding: string | null | undefined): string {
  return Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
}
