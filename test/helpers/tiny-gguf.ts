/**
 * Writes a tiny random-weight llama model as a GGUF v3 file (about 500 KB), so the embedded llama.cpp
 * provider can be tested for real, offline, in a second.
 *
 * Format: GGUF v3 as specified in ggml's docs/gguf.md (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
 * little-endian header (magic "GGUF", version 3, tensor count u64, metadata count u64), metadata key/values
 * (string = u64 length + UTF-8 bytes; arrays = element type u32 + count u64 + elements), tensor infos (name,
 * n_dims u32, dims u64 innermost first, ggml type u32, data offset u64), padding to `general.alignment`
 * (32), then the tensor data, each tensor aligned.
 *
 * Model: architecture `llama`, 2 blocks, embedding 64, feed-forward 128, 4 heads, context 512, every tensor
 * F32 (ggml type 0), weights from a seeded mulberry32 PRNG (same seed → byte-identical file). Tokenizer:
 * `llama` (SentencePiece-style) with `<unk>`, `<s>`, `</s>`, the 256 byte-fallback tokens `<0xNN>` (type 6)
 * and the printable ASCII characters plus `▁` as single-character tokens.
 */
import { writeFile } from 'node:fs/promises';

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const ALIGNMENT = 32;

/** GGUF metadata value types (docs/gguf.md, `gguf_metadata_value_type`). */
const T = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;

type MetaValue =
  | { type: 'u32' | 'i32' | 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; of: 'string'; value: string[] }
  | { type: 'array'; of: 'f32' | 'i32'; value: number[] };

/** Options of {@link writeTinyGguf}. */
export interface TinyGgufOptions {
  /** PRNG seed (default 42). */
  seed?: number;
}

/** Shape of the written model, for assertions. */
export interface TinyGgufInfo {
  path: string;
  bytes: number;
  vocabSize: number;
  contextLength: number;
}

/** mulberry32 (Tommy Ettinger's 32-bit PRNG): deterministic floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Writer {
  private chunks: Buffer[] = [];
  length = 0;

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  bool(v: boolean): void {
    this.push(Buffer.from([v ? 1 : 0]));
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  raw(b: Buffer): void {
    this.push(b);
  }
  pad(): void {
    const rem = this.length % ALIGNMENT;
    if (rem !== 0) {
      this.push(Buffer.alloc(ALIGNMENT - rem));
    }
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeMeta(w: Writer, key: string, v: MetaValue): void {
  w.str(key);
  w.u32(T[v.type]);
  switch (v.type) {
    case 'u32':
      w.u32(v.value);
      break;
    case 'i32':
      w.i32(v.value);
      break;
    case 'f32':
      w.f32(v.value);
      break;
    case 'bool':
      w.bool(v.value);
      break;
    case 'string':
      w.str(v.value);
      break;
    case 'array':
      w.u32(T[v.of]);
      w.u64(v.value.length);
      for (const item of v.value) {
        if (v.of === 'string') {
          w.str(item as string);
        } else if (v.of === 'f32') {
          w.f32(item as number);
        } else {
          w.i32(item as number);
        }
      }
      break;
  }
}

/** The tokenizer: special tokens, 256 byte tokens, single printable characters. */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3]; // unknown, control, control
  for (let b = 0; b < 256; b += 1) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6); // byte
  }
  const chars = ['▁'];
  for (let c = 0x21; c <= 0x7e; c += 1) {
    chars.push(String.fromCharCode(c));
  }
  for (const c of chars) {
    tokens.push(c);
    types.push(1); // normal
  }
  const scores = tokens.map((_t, i) => (types[i] === 1 ? -1 - i / 1000 : 0));
  return { tokens, scores, types };
}

/**
 * Writes the tiny model to `path` (overwriting) and returns its shape. Deterministic for a given seed.
 */
export async function writeTinyGguf(
  path: string,
  options: TinyGgufOptions = {},
): Promise<TinyGgufInfo> {
  const nEmbd = 64;
  const nFf = 128;
  const nHead = 4;
  const nLayer = 2;
  const nCtx = 512;
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  const rand = mulberry32(options.seed ?? 42);

  const meta: [string, MetaValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'tandem-tiny-test' }],
    ['general.alignment', { type: 'u32', value: ALIGNMENT }],
    ['general.file_type', { type: 'u32', value: 0 }], // ALL_F32
    ['llama.context_length', { type: 'u32', value: nCtx }],
    ['llama.embedding_length', { type: 'u32', value: nEmbd }],
    ['llama.block_count', { type: 'u32', value: nLayer }],
    ['llama.feed_forward_length', { type: 'u32', value: nFf }],
    ['llama.attention.head_count', { type: 'u32', value: nHead }],
    ['llama.attention.head_count_kv', { type: 'u32', value: nHead }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.rope.dimension_count', { type: 'u32', value: nEmbd / nHead }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', of: 'f32', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', of: 'i32', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
  ];

  // [name, dims innermost first, fill]: norms are 1, weights small random values.
  const tensors: [string, number[], 'ones' | 'random'][] = [
    ['token_embd.weight', [nEmbd, nVocab], 'random'],
    ['output_norm.weight', [nEmbd], 'ones'],
    ['output.weight', [nEmbd, nVocab], 'random'],
  ];
  for (let i = 0; i < nLayer; i += 1) {
    tensors.push(
      [`blk.${i}.attn_norm.weight`, [nEmbd], 'ones'],
      [`blk.${i}.attn_q.weight`, [nEmbd, nEmbd], 'random'],
      [`blk.${i}.attn_k.weight`, [nEmbd, nEmbd], 'random'],
      [`blk.${i}.attn_v.weight`, [nEmbd, nEmbd], 'random'],
      [`blk.${i}.attn_output.weight`, [nEmbd, nEmbd], 'random'],
      [`blk.${i}.ffn_norm.weight`, [nEmbd], 'ones'],
      [`blk.${i}.ffn_gate.weight`, [nEmbd, nFf], 'random'],
      [`blk.${i}.ffn_up.weight`, [nEmbd, nFf], 'random'],
      [`blk.${i}.ffn_down.weight`, [nFf, nEmbd], 'random'],
    );
  }

  const w = new Writer();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const [key, value] of meta) {
    writeMeta(w, key, value);
  }
  let offset = 0;
  const data: Buffer[] = [];
  for (const [name, dims, fill] of tensors) {
    const count = dims.reduce((a, b) => a * b, 1);
    const buf = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i += 1) {
      buf.writeFloatLE(fill === 'ones' ? 1 : (rand() * 2 - 1) * 0.08, i * 4);
    }
    w.str(name);
    w.u32(dims.length);
    dims.forEach((d) => w.u64(d));
    w.u32(0); // GGML_TYPE_F32
    w.u64(offset);
    data.push(buf);
    offset += Math.ceil(buf.length / ALIGNMENT) * ALIGNMENT;
  }
  w.pad();
  for (const buf of data) {
    w.raw(buf);
    w.pad();
  }
  const out = w.toBuffer();
  await writeFile(path, out);
  return { path, bytes: out.length, vocabSize: nVocab, contextLength: nCtx };
}
