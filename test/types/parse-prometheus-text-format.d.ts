/** Types of the npm package `parse-prometheus-text-format` 1.1.1 (it ships none), as far as the tests use it. */
declare module 'parse-prometheus-text-format' {
  interface ParsedFamily {
    name: string;
    help: string;
    /** Upper case: `COUNTER`, `GAUGE`, `HISTOGRAM`, `SUMMARY`, `UNTYPED`. */
    type: string;
    metrics: Record<string, unknown>[];
  }
  /** Parses the text format; throws `InvalidLineError` on a malformed line. */
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
