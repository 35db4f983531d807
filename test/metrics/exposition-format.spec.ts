/**
 * The test's reader of the Prometheus text format refuses what the format forbids, so the scrape tests
 * that rely on it can fail: each case below is a small break of one rule.
 */
import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition, valueOf } from './exposition-format.js';

const GOOD = `# HELP req_total Requests "served".\\nSecond line.
# TYPE req_total counter
req_total{path="/a\\"b",code="200"} 3
req_total{path="/",code="500"} 1 1700000000000
# TYPE lat histogram
lat_bucket{le="0.1"} 1
lat_bucket{le="1"} 2
lat_bucket{le="+Inf"} 2
lat_sum 0.6
lat_count 2
# a plain comment
up NaN
lag Nan
big -inf
`;

describe('Prometheus text format reader', () => {
  it('reads families, types, help, escaped labels, values and timestamps', () => {
    const families = parseExposition(GOOD);
    expect(families.get('req_total')).toMatchObject({
      type: 'counter',
      help: 'Requests "served".\nSecond line.',
    });
    expect(valueOf(families, 'req_total', { path: '/a"b' })).toBe(3);
    expect(families.get('req_total')!.samples[1]!.timestampMs).toBe(1_700_000_000_000);
    expect(valueOf(families, 'lat_count')).toBe(2);
    expect(valueOf(families, 'up')).toBeNaN();
    // Special values without regard to case, as Go's ParseFloat (and so Prometheus) reads them.
    expect(valueOf(families, 'lag')).toBeNaN();
    expect(valueOf(families, 'big')).toBe(-Infinity);
    expect(families.get('up')!.type).toBe('untyped');
  });

  it.each([
    ['a bad metric name', '9req 1\n'],
    ['an unknown type', '# TYPE x countr\nx 1\n'],
    ['a TYPE after samples', 'x 1\n# TYPE x gauge\n'],
    ['a second TYPE', '# TYPE x gauge\n# TYPE x gauge\nx 1\n'],
    ['a family split in two', 'x 1\ny 2\nx{a="b"} 3\n'],
    ['a repeated series', 'x{a="1"} 1\nx{a="1"} 2\n'],
    ['an unterminated label value', 'x{a="1} 1\n'],
    ['a bad escape', 'x{a="\\t"} 1\n'],
    ['a value that is not a number', 'x abc\n'],
    ['a signed NaN', 'x -NaN\n'],
    ['two spaces before the value', 'x  1\n'],
    ['text after the timestamp', 'x 1 2 3\n'],
    ['a negative counter', '# TYPE c counter\nc -1\n'],
    [
      'buckets that are not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    [
      'a +Inf bucket that is not the count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    ],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
  ])('refuses %s', (_why, text) => {
    expect(() => parseExposition(text)).toThrow(ExpositionError);
  });
});
