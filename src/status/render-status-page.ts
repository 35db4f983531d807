/**
 * The status page as server-rendered HTML: one document with a small inline script that replaces the
 * page's `<main>` with the fragment each server-sent event carries, and ticks the elapsed times of
 * running pairs between events. No front-end build: the page is one template and forty lines of script.
 *
 * Every value that comes from the database or a forge (titles, reasons, messages, repository names) goes
 * through {@link escapeHtml}; links are built from the operator's forge URLs and validated numbers. The
 * script and style carry a per-response nonce, so the Content-Security-Policy allows nothing else.
 */
import type { SlotUse } from './read-slots.js';
import type {
  StatusEvent,
  StatusModelUse,
  StatusPair,
  StatusRepo,
  StatusRequest,
  StatusSnapshot,
  StatusTicket,
} from './read-status.js';

/** What one render shows. */
export interface StatusView {
  snapshot: StatusSnapshot;
  /** Model slots of this process; empty when it runs no worker. */
  slots: SlotUse[];
}

/** How links to the forges are made. */
export interface StatusLinks {
  /** Web base URL per forge kind, e.g. `{ github: 'https://github.com', gitea: 'https://git.example' }`. */
  web: Readonly<Record<string, string>>;
}

/** Escapes text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const e = escapeHtml;

/** `1h 02m`, `3m 07s`, `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1_000));
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) {
    return `${h}h ${pad(m)}m`;
  }
  return m > 0 ? `${m}m ${pad(s % 60)}s` : `${s % 60}s`;
}

/** `2 minutes ago`-style age of an ISO time, relative to `now` (ms). */
function age(iso: string, now: number): string {
  return `${formatDuration(now - Date.parse(iso))} ago`;
}

/** `owner/name` linked to the repository on its forge (plain text when the forge has no URL). */
function repoLink(repo: StatusRepo, links: StatusLinks): string {
  const text = e(`${repo.owner}/${repo.name}`);
  const base = links.web[repo.forge];
  return base ? `<a href="${e(repoUrl(base, repo))}">${text}</a>` : text;
}

function repoUrl(base: string, repo: StatusRepo): string {
  return `${base}/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
}

/** `#12` linked to the issue (or pull request) on its forge. */
function numberLink(
  repo: StatusRepo,
  n: number | null,
  links: StatusLinks,
  kind: 'issue' | 'pull' = 'issue',
): string {
  if (n === null || !Number.isSafeInteger(n)) {
    return '';
  }
  const base = links.web[repo.forge];
  if (!base) {
    return `#${n}`;
  }
  let path = 'issues';
  if (kind === 'pull') {
    path = repo.forge === 'gitea' ? 'pulls' : 'pull';
  }
  return `<a href="${e(`${repoUrl(base, repo)}/${path}/${n}`)}">#${n}</a>`;
}

/** A state name as a badge (its class is the state, restricted to safe characters). */
function badge(state: string): string {
  return `<span class="badge s-${state.replace(/[^a-z_]/g, '')}">${e(state.replace(/_/g, ' '))}</span>`;
}

function reason(text: string | null): string {
  return text ? `<div class="reason">${e(text.slice(0, 200))}</div>` : '';
}

function table(headers: string[], rows: string[], empty: string): string {
  if (rows.length === 0) {
    return `<p class="empty">${e(empty)}</p>`;
  }
  const head = headers.map((h) => `<th>${e(h)}</th>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const tr = (cells: string[], attrs = ''): string =>
  `<tr${attrs}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;

function pairRow(p: StatusPair, links: StatusLinks, now: number): string {
  const g = p.progress;
  const elapsedBase = g ? g.elapsedMs : 0;
  const since = Date.parse(g ? g.at : p.startedAt);
  const elapsed = elapsedBase + (now - since);
  const tests = g
    ? `<span class="pass">${g.passing} passing</span> <span class="fail">${g.failing} failing</span>`
    : '';
  return tr(
    [
      repoLink(p.repo, links),
      `${numberLink(p.repo, p.issueNumber, links)} ${e(p.title)}`,
      e(p.kind),
      badge(p.phase),
      String(p.cycle),
      g && g.criteria > 0 ? `${Math.min(g.criterion + 1, g.criteria)} / ${g.criteria}` : '',
      tests,
      g ? g.tokens.toLocaleString('en-US') : '',
      `<span class="elapsed" data-base="${elapsedBase}" data-since="${since}">${formatDuration(elapsed)}</span>`,
      g ? `<span class="msg">${e(g.message)}</span>` : '',
    ],
    ` data-run="${p.runId}"`,
  );
}

function slotRow(s: SlotUse): string {
  const share = s.total > 0 ? Math.min(100, Math.round((s.busy / s.total) * 100)) : 0;
  return tr([
    e(s.alias),
    `<span class="bar"><span class="fill w${Math.round(share / 10) * 10}"></span></span> ${s.busy} / ${s.total}`,
    String(s.waiting),
    `${s.meanWaitMs} ms`,
  ]);
}

function modelRow(m: StatusModelUse): string {
  return tr([
    e(m.alias),
    String(m.calls),
    String(m.failed),
    m.inputTokens.toLocaleString('en-US'),
    m.outputTokens.toLocaleString('en-US'),
    `${m.meanLatencyMs} ms`,
  ]);
}

function ticketRow(t: StatusTicket, links: StatusLinks, now: number): string {
  return tr(
    [
      repoLink(t.repo, links),
      numberLink(t.repo, t.issueNumber, links),
      `${e(t.title)}${reason(t.blockedReason)}`,
      badge(t.state),
      numberLink(t.repo, t.prNumber, links, 'pull'),
      age(t.updatedAt, now),
    ],
    ` data-ticket="${t.issueNumber ?? ''}" data-state="${e(t.state)}"`,
  );
}

function requestRow(r: StatusRequest, links: StatusLinks, now: number): string {
  return tr([
    repoLink(r.repo, links),
    numberLink(r.repo, r.issueNumber, links),
    `${e(r.title)}${reason(r.blockedReason)}`,
    badge(r.state),
    numberLink(r.repo, r.specPrNumber, links, 'pull'),
    age(r.updatedAt, now),
  ]);
}

function eventRow(v: StatusEvent, links: StatusLinks, now: number): string {
  const change = v.from && v.to ? `${badge(v.from)} → ${badge(v.to)}` : '';
  return tr([
    age(v.at, now),
    e(v.kind),
    v.repo ? repoLink(v.repo, links) : '',
    v.repo ? numberLink(v.repo, v.issueNumber, links) : '',
    change,
  ]);
}

/** The inner HTML of `<main>`: what each server-sent event replaces. `now` in ms. */
export function renderStatusMain(view: StatusView, links: StatusLinks, now: number): string {
  const { snapshot: s, slots } = view;
  const slotSection =
    slots.length > 0
      ? table(
          ['alias', 'busy / slots', 'waiting', 'mean wait'],
          slots.map(slotRow),
          'No model slots.',
        )
      : '<p class="empty">Model slots live in the worker processes: scrape their /metrics.</p>';
  return [
    `<section id="pairs"><h2>Running pairs</h2>${table(
      [
        'repository',
        'ticket',
        'kind',
        'phase',
        'cycle',
        'criterion',
        'tests',
        'tokens',
        'elapsed',
        'doing',
      ],
      s.pairs.map((p) => pairRow(p, links, now)),
      'No pair is running.',
    )}</section>`,
    `<section id="slots"><h2>Model slots</h2>${slotSection}</section>`,
    `<section id="models"><h2>Model calls, last hour</h2>${table(
      ['alias', 'calls', 'failed', 'tokens in', 'tokens out', 'mean latency'],
      s.models.map(modelRow),
      'No model call in the last hour.',
    )}</section>`,
    `<section id="tickets"><h2>Tickets</h2>${table(
      ['repository', 'issue', 'title', 'state', 'pull request', 'updated'],
      s.tickets.map((t) => ticketRow(t, links, now)),
      'No open ticket.',
    )}</section>`,
    `<section id="requests"><h2>Requests</h2>${table(
      ['repository', 'issue', 'title', 'state', 'spec', 'updated'],
      s.requests.map((r) => requestRow(r, links, now)),
      'No open request.',
    )}</section>`,
    `<section id="events"><h2>Recent events</h2>${table(
      ['when', 'event', 'repository', 'issue', 'change'],
      s.events.map((v) => eventRow(v, links, now)),
      'No event yet.',
    )}</section>`,
  ].join('\n');
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{display:flex;gap:1em;align-items:baseline;padding:.8em 1.2em;background:#24292f;color:#fff}
header h1{font-size:1.2em;margin:0}#live{font-size:.9em;opacity:.85}#live.off{color:#ffb4b4}
main{padding:0 1.2em 2em}section{margin-top:1.2em}h2{font-size:1em;margin:0 0 .4em}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa;font-weight:600}a{color:#0969da;text-decoration:none}
.badge{display:inline-block;padding:0 .5em;border-radius:1em;background:#eaeef2;font-size:.85em}
.s-in_progress,.s-red,.s-green,.s-refactor,.s-final,.s-drafting,.s-planning{background:#ddf4ff}
.s-review,.s-spec_review{background:#fff8c5}.s-done,.s-approved{background:#dafbe1}
.s-blocked,.s-on_hold,.s-cancelled{background:#ffebe9}
.pass{color:#1a7f37}.fail{color:#cf222e}.msg{color:#57606a}.reason{color:#cf222e;font-size:.85em}
.empty{color:#57606a;margin:.2em 0}
.bar{display:inline-block;width:6em;height:.7em;background:#eaeef2;border-radius:.35em;overflow:hidden}
.fill{display:block;height:100%;background:#2da44e}
${Array.from({ length: 11 }, (_, i) => `.w${i * 10}{width:${i * 10}%}`).join('')}
`;

/**
 * Updates `<main>` from each `status` event, marks the connection live or reconnecting, and ticks the
 * elapsed times (clock offset from the server's `now`, so a wrong client clock does not matter).
 */
const SCRIPT = `
(() => {
  const main = document.querySelector('main');
  const live = document.getElementById('live');
  let offset = Number(document.body.dataset.now) - Date.now();
  const fmt = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const p = (n) => String(n).padStart(2, '0');
    return h > 0 ? h + 'h ' + p(m) + 'm' : m > 0 ? m + 'm ' + p(s % 60) + 's' : (s % 60) + 's';
  };
  const tick = () => {
    for (const el of document.querySelectorAll('.elapsed')) {
      el.textContent = fmt(Number(el.dataset.base) + (Date.now() + offset - Number(el.dataset.since)));
    }
  };
  setInterval(tick, 1000);
  const source = new EventSource('status/events');
  source.addEventListener('status', (event) => {
    const data = JSON.parse(event.data);
    offset = data.now - Date.now();
    main.innerHTML = data.html;
    document.body.dataset.version = String(Number(document.body.dataset.version || 0) + 1);
    live.textContent = 'live';
    live.className = '';
    tick();
  });
  source.addEventListener('open', () => { live.textContent = 'live'; live.className = ''; });
  source.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.className = 'off'; });
})();
`;

/** The whole document. `nonce` must be fresh per response (it is what the CSP allows). */
export function renderStatusPage(
  view: StatusView,
  links: StatusLinks,
  now: number,
  nonce: string,
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Tandem status</title><meta name="referrer" content="no-referrer">
<style nonce="${e(nonce)}">${STYLE}</style></head>
<body data-now="${now}">
<header><h1>Tandem status</h1><span id="live">connecting…</span></header>
<main>
${renderStatusMain(view, links, now)}
</main>
<script nonce="${e(nonce)}">${SCRIPT}</script>
</body></html>`;
}

/** The Content-Security-Policy of a page rendered with `nonce`. */
export function statusPagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
