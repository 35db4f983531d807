import { StringDecoder } from 'node:string_decoder';

/** Longest line handed on, in characters; the rest of a longer line is dropped (`…` marks the cut). */
export const MAX_OUTPUT_LINE_CHARS = 2_000;

/**
 * Splits a command's output, as it arrives in chunks, into lines for a live display or log: UTF-8
 * decoded across chunk boundaries, split at `\n`, `\r\n` and a lone `\r` (progress bars redraw with it),
 * trailing blanks trimmed, empty lines and those `skip` names dropped, lines longer than
 * {@link MAX_OUTPUT_LINE_CHARS} cut. A throwing `emit` is ignored: a display must never break a command.
 */
export class OutputLines {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** True while the rest of an over-long line is being dropped. */
  private cut = false;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly skip: (line: string) => boolean = () => false,
  ) {}

  /** Takes the next chunk of output. */
  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }

  /** Hands on the last line when the output did not end with a newline. */
  end(): void {
    this.take(this.decoder.end());
    this.line(this.partial);
    this.partial = '';
    this.cut = false;
  }

  private take(text: string): void {
    const parts = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    for (const part of parts) {
      this.line(part);
      this.cut = false;
    }
    if (this.partial.length > MAX_OUTPUT_LINE_CHARS) {
      this.line(this.partial);
      this.partial = '';
      this.cut = true;
    }
  }

  private line(raw: string): void {
    if (this.cut) {
      return;
    }
    const line =
      raw.length > MAX_OUTPUT_LINE_CHARS
        ? `${raw.slice(0, MAX_OUTPUT_LINE_CHARS)}…`
        : raw.trimEnd();
    if (line === '' || this.skip(line)) {
      return;
    }
    try {
      this.emit(line);
    } catch {
      // The display's problem, not the command's.
    }
  }
}
