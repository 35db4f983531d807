import { Writable } from 'node:stream';

/**
 * A writable sink that keeps the first `limit` bytes written to it and counts (but drops) the rest, so a
 * chatty command is drained at full speed without growing memory. It also keeps the last `tailBytes`
 * bytes seen, whatever the limit, for trailers written at the very end of a stream.
 */
export class OutputCollector extends Writable {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private tail: Buffer = Buffer.alloc(0);
  /** Total bytes written, kept or not. */
  total = 0;

  constructor(
    /** Bytes kept. */
    private readonly limit: number,
    /** Bytes of the stream's end always kept apart (0 for none). */
    private readonly tailBytes = 0,
    /** Sees every chunk as it arrives, kept or not (a live display). */
    private readonly onData?: (chunk: Buffer) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.total += chunk.length;
    this.onData?.(chunk);
    if (this.kept < this.limit) {
      const part = chunk.subarray(0, this.limit - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    }
    if (this.tailBytes > 0) {
      const joined = Buffer.concat([this.tail, chunk]);
      this.tail = joined.subarray(Math.max(0, joined.length - this.tailBytes));
    }
    callback();
  }

  /** The kept bytes. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The last `tailBytes` bytes written. */
  lastBytes(): Buffer {
    return this.tail;
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.kept;
  }
}
