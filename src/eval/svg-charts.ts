/**
 * The two charts of an eval report, as small standalone SVG documents (no library: a grid of squares
 * and a strip plot need nothing more than rectangles, circles and text).
 * - `outcomeGridSvg`: one row per task, one square per run: resolved, unresolved (with the pair's
 *   verdict), harness error.
 * - `tokensSvg`: tokens per run on a horizontal axis, one strip per outcome, so what solved runs cost
 *   stands next to what failed ones burned.
 */
import type { EvalResult } from './eval-result.js';

const COLOURS = {
  resolved: '#2e7d32',
  done_unresolved: '#f9a825',
  blocked: '#c62828',
  error: '#757575',
} as const;

type Outcome = keyof typeof COLOURS;

const LABELS: Record<Outcome, string> = {
  resolved: 'resolved',
  done_unresolved: 'pair done, hidden tests fail',
  blocked: 'blocked, unresolved',
  error: 'harness error',
};

/** The outcome class of one run, for colours. */
export function outcomeOf(r: EvalResult): Outcome {
  if (r.status === 'error') {
    return 'error';
  }
  if (r.resolved) {
    return 'resolved';
  }
  return r.agent_verdict === 'done' ? 'done_unresolved' : 'blocked';
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const FONT = 'font-family="sans-serif" font-size="12"';

function legend(y: number): string {
  return (Object.keys(COLOURS) as Outcome[])
    .map(
      (o, i) =>
        `<rect x="${10 + i * 190}" y="${y}" width="12" height="12" fill="${COLOURS[o]}"/>` +
        `<text x="${26 + i * 190}" y="${y + 10}" ${FONT}>${esc(LABELS[o])}</text>`,
    )
    .join('');
}

/** Per-task outcome grid (tasks in `order`, runs left to right). */
export function outcomeGridSvg(results: readonly EvalResult[], order: readonly string[]): string {
  const runs = Math.max(1, ...results.map((r) => r.run));
  const labelWidth = Math.min(360, 20 + 7 * Math.max(8, ...order.map((t) => t.length)));
  const cell = 22;
  const width = Math.max(labelWidth + runs * cell + 20, 790);
  const height = 40 + order.length * cell + 30;
  const rows = order
    .map((task, i) => {
      const y = 30 + i * cell;
      const cells = Array.from({ length: runs }, (_, k) => {
        const r = results.find((x) => x.instance_id === task && x.run === k + 1);
        const fill = r ? COLOURS[outcomeOf(r)] : '#eeeeee';
        const title = r
          ? `${task} run ${k + 1}: ${LABELS[outcomeOf(r)]}, ${r.usage.total_tokens} tokens`
          : `${task} run ${k + 1}: not run`;
        return `<rect x="${labelWidth + k * cell}" y="${y}" width="${cell - 4}" height="${cell - 4}" fill="${fill}"><title>${esc(title)}</title></rect>`;
      }).join('');
      return `<text x="10" y="${y + 13}" ${FONT}>${esc(task)}</text>${cells}`;
    })
    .join('');
  return svg(
    width,
    height,
    `<text x="10" y="18" ${FONT} font-weight="bold">Outcome per task and run</text>${rows}${legend(height - 22)}`,
  );
}

/** Tokens per run (x, linear) by outcome (one strip each). */
export function tokensSvg(results: readonly EvalResult[]): string {
  const width = 790;
  const strips = Object.keys(COLOURS) as Outcome[];
  const left = 200;
  const right = width - 30;
  const height = 60 + strips.length * 40 + 40;
  const max = Math.max(1, ...results.map((r) => r.usage.total_tokens));
  const x = (tokens: number) => left + ((right - left) * tokens) / max;
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = Math.round(max * f);
      return `<line x1="${x(v)}" y1="40" x2="${x(v)}" y2="${40 + strips.length * 40}" stroke="#dddddd"/><text x="${x(v)}" y="${55 + strips.length * 40}" ${FONT} text-anchor="middle">${v.toLocaleString('en-US')}</text>`;
    })
    .join('');
  const dots = strips
    .map((o, i) => {
      const y = 60 + i * 40;
      const points = results
        .filter((r) => outcomeOf(r) === o)
        .map(
          (r, j) =>
            `<circle cx="${x(r.usage.total_tokens).toFixed(1)}" cy="${y + ((j % 3) - 1) * 6}" r="5" fill="${COLOURS[o]}" fill-opacity="0.8"><title>${esc(`${r.instance_id} run ${r.run}: ${r.usage.total_tokens} tokens`)}</title></circle>`,
        )
        .join('');
      return `<text x="10" y="${y + 4}" ${FONT}>${esc(LABELS[o])}</text>${points}`;
    })
    .join('');
  return svg(
    width,
    height,
    `<text x="10" y="18" ${FONT} font-weight="bold">Tokens per run by outcome</text>${ticks}${dots}<text x="${(left + right) / 2}" y="${height - 8}" ${FONT} text-anchor="middle">tokens (input + output)</text>`,
  );
}

function svg(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>${body}</svg>\n`;
}
