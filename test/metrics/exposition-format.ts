/**
 * A strict reader of Prometheus's text exposition format, version 0.0.4, for tests: the grammar and
 * rules of https://prometheus.io/docs/instrumenting/exposition_formats/ ("Text format details"), checked
 * line by line with a small scanner (no regular expression over a whole line). It exists because the npm
 * parser that installs here, `parse-prometheus-text-format` 1.1.1 (last released 2019), folds the series
 * of a labelled histogram into one (its buckets keyed by `le` alone, `_sum`/`_count` dropped) and accepts
 * any metric name or value; the tests also run that package over the same text as a second reader of the
 * families and their types.
 *
 * Checked: metric and label name syntax, label value escapes (`\\`, `\"`, `\n` only), values as Go's
 * `ParseFloat` reads them (`NaN`, `+Inf`, `-Inf` included), optional integer timestamps; at most one
 * `# HELP` and one `# TYPE` per family, the TYPE before its first sample, every family's lines together;
 * no sample twice; counters not negative; histograms with `_bucket{le}`, `_sum`, `_count`, buckets
 * cumulative and non-decreasing, a `+Inf` bucket equal to `_count`. Anything else throws
 * {@link ExpositionError} naming the line.
 */

/** A metric type of the text format. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line. */
export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum` … for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** One metric family: its TYPE and HELP and its samples in order. */
export interface Family {
  name: string;
  type: MetricType;
  help: string | undefined;
  samples: Sample[];
}

/** Thrown for text that breaks the format; `line` is 1-based. */
export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionError';
  }
}

const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const isNameStart = (c: string) => /[A-Za-z_:]/.test(c);
const isNameChar = (c: string) => /[A-Za-z0-9_:]/.test(c);
const isLabelStart = (c: string) => /[A-Za-z_]/.test(c);
const isLabelChar = (c: string) => /[A-Za-z0-9_]/.test(c);

/** Reads the whole text. @throws ExpositionError */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  const typed = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) === '') {
    lines.pop();
  }
  const familyOf = (name: string, lineNo: number): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: undefined, samples: [] };
      families.set(name, f);
    }
    if (current !== f) {
      if (closed.has(name)) {
        throw new ExpositionError(lineNo, `lines of ${name} are not together`);
      }
      if (current) {
        closed.add(current.name);
      }
      current = f;
    }
    return f;
  };
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === '') {
      return;
    }
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) {
        return; // a plain comment
      }
      const [, keyword, name, rest = ''] = m;
      checkName(name!, lineNo);
      const f = familyOf(name!, lineNo);
      if (keyword === 'HELP') {
        if (f.help !== undefined) {
          throw new ExpositionError(lineNo, `second HELP for ${name}`);
        }
        f.help = unescapeHelp(rest, lineNo);
      } else {
        if (!TYPES.has(rest as MetricType)) {
          throw new ExpositionError(lineNo, `unknown type ${JSON.stringify(rest)}`);
        }
        if (f.samples.length > 0) {
          throw new ExpositionError(lineNo, `TYPE of ${name} after its samples`);
        }
        if (typed.has(name!)) {
          throw new ExpositionError(lineNo, `second TYPE for ${name}`);
        }
        typed.add(name!);
        f.type = rest as MetricType;
      }
      return;
    }
    const sample = readSample(raw, lineNo);
    const family = familyOf(familyName(sample.name, current), lineNo);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) {
      throw new ExpositionError(lineNo, `sample ${sample.name} repeated with the same labels`);
    }
    seen.add(key);
    if (family.type === 'counter' && !(sample.value >= 0)) {
      throw new ExpositionError(lineNo, `counter ${sample.name} is negative or NaN`);
    }
    family.samples.push(sample);
  });
  for (const f of families.values()) {
    if (f.type === 'histogram') {
      checkHistogram(f);
    }
  }
  return families;
}

/** The family a sample belongs to: the current histogram/summary for its suffixed samples. */
function familyName(sample: string, current: Family | undefined): string {
  if (current && (current.type === 'histogram' || current.type === 'summary')) {
    const suffixes =
      current.type === 'histogram' ? ['_bucket', '_sum', '_count'] : ['_sum', '_count'];
    for (const s of suffixes) {
      if (sample === `${current.name}${s}`) {
        return current.name;
      }
    }
  }
  return sample;
}

function checkName(name: string, lineNo: number): void {
  if (!isNameStart(name[0] ?? '') || ![...name].every(isNameChar)) {
    throw new ExpositionError(lineNo, `bad metric name ${JSON.stringify(name)}`);
  }
}

function unescapeHelp(text: string, lineNo: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '\\') {
      out += '\\';
    } else if (next === 'n') {
      out += '\n';
    } else {
      throw new ExpositionError(lineNo, `bad escape in HELP: \\${next ?? ''}`);
    }
  }
  return out;
}

/** Reads one sample line with a scanner. */
function readSample(line: string, lineNo: number): Sample {
  let i = 0;
  const fail = (why: string): never => {
    throw new ExpositionError(lineNo, `${why} in ${JSON.stringify(line)}`);
  };
  let name = '';
  while (i < line.length && isNameChar(line[i]!)) {
    name += line[i++];
  }
  if (name === '' || !isNameStart(name[0]!)) {
    fail('bad metric name');
  }
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      let label = '';
      while (i < line.length && isLabelChar(line[i]!)) {
        label += line[i++];
      }
      if (label === '' || !isLabelStart(label[0]!)) {
        fail('bad label name');
      }
      if (label in labels) {
        fail(`label ${label} twice`);
      }
      if (line[i++] !== '=' || line[i++] !== '"') {
        fail('expected ="');
      }
      let value = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) {
          fail('unterminated label value');
        }
        if (c === '"') {
          break;
        }
        if (c === '\\') {
          const next = line[i++];
          if (next === '\\' || next === '"') {
            value += next;
          } else if (next === 'n') {
            value += '\n';
          } else {
            fail('bad escape in a label value');
          }
        } else {
          value += c;
        }
      }
      labels[label] = value;
      if (line[i] === ',') {
        i++;
      } else if (line[i] !== '}') {
        fail('expected , or }');
      }
    }
    i++;
  }
  if (line[i] !== ' ') {
    fail('expected one space before the value');
  }
  const [valueText, timestamp, extra] = line.slice(i + 1).split(' ');
  if (extra !== undefined || valueText === undefined) {
    fail('unexpected text after the value');
  }
  const value = readFloat(valueText!) ?? fail(`bad value ${JSON.stringify(valueText)}`);
  const sample: Sample = { name, labels, value };
  if (timestamp !== undefined) {
    if (!/^-?\d+$/.test(timestamp)) {
      fail('bad timestamp');
    }
    sample.timestampMs = Number(timestamp);
  }
  return sample;
}

/**
 * A float as Go's `strconv.ParseFloat` reads the format's values, or undefined. Like ParseFloat, the
 * special values are read without regard to case (`NaN`, `nan`, `Nan`; `+Inf`, `inf`, `Infinity`):
 * prom-client writes an event-loop lag with no sample yet as `Nan`, and Prometheus reads it.
 */
function readFloat(text: string): number | undefined {
  const special = /^([-+]?)(nan|inf|infinity)$/i.exec(text);
  if (special) {
    const [, sign, word] = special;
    if (word!.toLowerCase() === 'nan') {
      return sign ? undefined : NaN;
    }
    return sign === '-' ? -Infinity : Infinity;
  }
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

/** Per label set: buckets cumulative, a `+Inf` bucket equal to `_count`, a `_sum`. */
function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${f.name}_bucket`) {
      const bound = le === undefined ? undefined : readFloat(le);
      if (bound === undefined) {
        throw new ExpositionError(0, `${f.name}_bucket without a numeric le`);
      }
      entry.buckets.push([bound, s.value]);
    } else if (s.name === `${f.name}_sum`) {
      entry.sum = s.value;
    } else if (s.name === `${f.name}_count`) {
      entry.count = s.value;
    } else {
      throw new ExpositionError(0, `${s.name} in histogram ${f.name}`);
    }
  }
  for (const [key, entry] of series) {
    const sorted = [...entry.buckets].sort((a, b) => a[0] - b[0]);
    sorted.forEach(([, n], i) => {
      if (i > 0 && n < sorted[i - 1]![1]) {
        throw new ExpositionError(0, `${f.name}${key}: buckets are not cumulative`);
      }
    });
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Infinity || inf[1] !== entry.count || entry.sum === undefined) {
      throw new ExpositionError(0, `${f.name}${key}: needs +Inf bucket = _count and a _sum`);
    }
  }
}

/**
 * The value of the sample `name` whose labels include `labels` (every given label equal), or undefined.
 * @throws Error when several samples match (the test must name its series exactly)
 */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matches = [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) {
    throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  }
  return matches[0]?.value;
}
