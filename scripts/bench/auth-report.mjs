// Turns the result lines scripts/bench/auth.sh collects into the Markdown
// report: medians over the rounds, the extra CPU per request of each signed-in
// target against portcullis-open taken round by round, refresh rotations per
// second, and the verdicts against the targets.
//
//   node auth-report.mjs RESULTS --command CMD --date D --connections N
//        --threads N --duration S --refresh-duration S --chains N
//        --synchronous TEXT --load TEXT --repeated N --setup JSON --data-kb N
// Exit status 1 when a verdict fails.

import fs from 'node:fs';

const TARGET_EXTRA_CPU_US = 5; // a cached JWT: at most 5 µs more server CPU per request
const TARGET_ROTATIONS = 1500; // refresh rotations per second, at least

const args = process.argv.slice(2);
const opt = (name, fallback = '') => {
  const i = args.indexOf(`--${name}`);
  return i > 0 ? args[i + 1] : fallback;
};

const rows = fs
  .readFileSync(args[0], 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => Object.fromEntries(l.trim().split(/\s+/).map((kv) => {
    const i = kv.indexOf('=');
    const [k, v] = [kv.slice(0, i), kv.slice(i + 1)];
    return [k, v !== '' && !isNaN(Number(v)) ? Number(v) : v];
  })))
  .filter((r) => r.round !== 'perf');

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const ms = (us) => fmt(us / 1000, 2);
const signed = (x, digits = 1) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x), digits)}` : 'n/a');

for (const r of rows) {
  r.cpu_us = (r.cpu_ticks * 1e6) / r.tick_hz;
  r.wrk_us = (r.wrk_ticks * 1e6) / r.tick_hz;
  r.duration_s = r.duration_us / 1e6;
}

const out = [];
const p = (s = '') => out.push(s);
let failed = false;
const verdict = (ok) => {
  if (!ok) failed = true;
  return ok ? 'PASS' : 'FAIL';
};

let setup = {};
try {
  setup = JSON.parse(opt('setup', '{}'));
} catch {
  setup = {};
}

p(`Command: \`${opt('command')}\``);
p();
p(
  `Date: ${opt('date')}. Load average (1, 5, 15 min) at start / end: ${opt('load')}. ` +
    `Runs repeated because other processes were busy: ${opt('repeated', '0')}. ` +
    `Sign-in server: temporary configuration (open.yaml's server, logging and plugins plus sign-in with the built-in ` +
    `identity provider), auth.access_token_ttl 24h, ES256 access tokens, storage.synchronous ${opt('synchronous')}, ` +
    `SQLite in WAL mode on the temporary data directory (${fmt(Number(opt('data-kb')) / 1024, 1)} MB at the end).`,
);
p();
p(
  `Tokens through the real flow: one client registered at /oauth/register, ${setup.firstAuthorizationPages ?? '?'} page(s) ` +
    `(sign-in, consent with "remember") for the first authorization, then ${fmt((setup.authorizations ?? 1) - 1)} ` +
    `more authorizations in the same browser session that went straight to a code, each exchanged with PKCE ` +
    `(${fmt(setup.totalSeconds, 1)} s for all of it; not a benchmark).`,
);
p();

// --- cached tokens -------------------------------------------------------------
const cached = rows.filter((r) => r.part === 'cached');
if (cached.length > 0) {
  const targets = [...new Set(cached.map((r) => r.target))];
  const rounds = [...new Set(cached.map((r) => r.round))].sort((a, b) => a - b);
  const by = (t) => cached.filter((r) => r.target === t);
  const perReq = (r) => (r.requests > 0 ? r.cpu_us / r.requests : NaN);
  const connections = Number(opt('connections', '64'));
  // Extra server CPU per request of t against portcullis-open, round by round.
  const extra = (t) =>
    rounds
      .map((k) => {
        const x = by(t).find((r) => r.round === k);
        const y = by('portcullis-open').find((r) => r.round === k);
        return x && y ? perReq(x) - perReq(y) : NaN;
      })
      .filter(Number.isFinite);
  const ratio = (t) =>
    median(
      rounds.map((k) => {
        const x = by(t).find((r) => r.round === k);
        const y = by('portcullis-open').find((r) => r.round === k);
        return x && y ? x.rps / y.rps : NaN;
      }),
    );

  p('### Cached-token cost: tools/call of demo_echo (2026-07-28, stateless)');
  p();
  p(
    `wrk -t${opt('threads')} -c${connections} -d${opt('duration')}s per run, ${rounds.length} interleaved round(s) ` +
      `(open, jwt, api-token, open, ...), medians shown (req/s range in brackets).`,
  );
  p();
  p('| target | req/s (median) [min–max] | vs open | p50 ms | p99 ms | server CPU µs/req | extra CPU µs/req vs open (median [per round]) | wrk CPU µs/req | other processes, % of the machine | server RSS MB | connections with 0 / bad replies / wrk errors, timeouts |');
  p('|---|---|---|---|---|---|---|---|---|---|---|');
  const stats = {};
  for (const t of targets) {
    const rs = by(t);
    const bad = rs.reduce((n, r) => n + r.bad_status + r.bad_body + r.unknown, 0);
    const zero = rs.reduce((n, r) => n + r.conn_zero, 0);
    const errors = rs.reduce((n, r) => n + r.err_connect + r.err_read + r.err_write + r.err_status, 0);
    const timeouts = rs.reduce((n, r) => n + r.err_timeout, 0);
    const ex = t === 'portcullis-open' ? [] : extra(t);
    stats[t] = { extra: median(ex), extras: ex, clean: bad === 0 && zero === 0 && errors === 0 && timeouts === 0 };
    p(
      `| ${t} | ${fmt(median(rs.map((r) => r.rps)))} [${fmt(Math.min(...rs.map((r) => r.rps)))}–${fmt(Math.max(...rs.map((r) => r.rps)))}] | ` +
        `${t === 'portcullis-open' ? '–' : `${fmt(ratio(t) * 100, 1)} %`} | ` +
        `${ms(median(rs.map((r) => r.p50_us)))} | ${ms(median(rs.map((r) => r.p99_us)))} | ${fmt(median(rs.map(perReq)), 1)} | ` +
        `${t === 'portcullis-open' ? '–' : `${signed(stats[t].extra)} [${ex.map((x) => signed(x)).join(', ')}]`} | ` +
        `${fmt(median(rs.map((r) => (r.requests > 0 ? r.wrk_us / r.requests : NaN))), 1)} | ${fmt(median(rs.map((r) => r.others_pct)), 1)} | ` +
        `${fmt(Math.max(...rs.map((r) => r.rss_kb)) / 1024, 1)} | ${zero} / ${bad} / ${errors}, ${timeouts} |`,
    );
  }
  p();
  p('| target | verdict |');
  p('|---|---|');
  if (stats['portcullis-jwt']) {
    const s = stats['portcullis-jwt'];
    p(
      `| cached JWT: extra server CPU per request ≤ ${TARGET_EXTRA_CPU_US} µs | ${signed(s.extra)} µs ` +
        `${verdict(s.extra <= TARGET_EXTRA_CPU_US)} |`,
    );
    p(`| cached JWT: every request answered (200, echoed text, every connection progressed) | ${verdict(s.clean)} |`);
  }
  if (stats['portcullis-api-token']) {
    const s = stats['portcullis-api-token'];
    p(`| API token: extra server CPU per request (reference, no target) | ${signed(s.extra)} µs |`);
    p(`| API token: every request answered | ${verdict(s.clean)} |`);
  }
  if (stats['portcullis-open']) p(`| open: every request answered | ${verdict(stats['portcullis-open'].clean)} |`);
  p();
  p(
    'Server CPU µs/req: utime + stime of the server process over the run, from /proc/PID/stat, divided by the ' +
      'requests wrk completed. The extra CPU is the difference from portcullis-open in the same round (runs ' +
      'seconds apart), and its median over the rounds is what the verdict uses. Both servers run the same ' +
      'plugins and thread count; the signed-in one also loads the built-in identity provider and its database.',
  );
  p();
}

// --- refresh rotation ----------------------------------------------------------
const refresh = rows.filter((r) => r.part === 'refresh');
if (refresh.length > 0) {
  p('### Refresh-token rotation on SQLite: POST /oauth/token grant_type=refresh_token');
  p();
  p(
    `wrk -t${opt('threads')} -c${opt('connections')} -d${opt('refresh-duration')}s per round, ${opt('chains')} fresh chains ` +
      `a round, each sending its newest refresh token and keeping the one it gets back. A rotation is a 200 reply ` +
      `with a new refresh token (and a new ES256 access token); anything else is an error.`,
  );
  p();
  p('| round | rotations/s | errors | p50 ms | p90 ms | p99 ms | max ms | server CPU µs/rotation | server CPU, % of one core | wrk CPU µs/rotation | other processes, % of the machine | server RSS MB |');
  p('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const per = (r) => (r.ok > 0 ? r.cpu_us / r.ok : NaN);
  const core = (r) => (r.cpu_us / r.duration_us) * 100;
  const errs = (r) => r.errors + r.starved + r.err_connect + r.err_read + r.err_write + r.err_timeout;
  for (const r of refresh) {
    p(
      `| ${r.round} | ${fmt(r.ok_rps)} | ${errs(r)} | ${ms(r.p50_us)} | ${ms(r.p90_us)} | ${ms(r.p99_us)} | ${ms(r.max_us)} | ` +
        `${fmt(per(r), 1)} | ${fmt(core(r), 0)} % | ${fmt(r.ok > 0 ? r.wrk_us / r.ok : NaN, 1)} | ${fmt(r.others_pct, 1)} | ${fmt(r.rss_kb / 1024, 1)} |`,
    );
  }
  const rate = median(refresh.map((r) => r.ok_rps));
  const totalErrors = refresh.reduce((n, r) => n + errs(r), 0);
  p(
    `| **median** | **${fmt(rate)}** | ${totalErrors} in all | ${ms(median(refresh.map((r) => r.p50_us)))} | ` +
      `${ms(median(refresh.map((r) => r.p90_us)))} | ${ms(median(refresh.map((r) => r.p99_us)))} | – | ` +
      `${fmt(median(refresh.map(per)), 1)} | ${fmt(median(refresh.map(core)), 0)} % | – | ${fmt(median(refresh.map((r) => r.others_pct)), 1)} | – |`,
  );
  p();
  p('| target | verdict |');
  p('|---|---|');
  p(`| refresh rotations per second ≥ ${fmt(TARGET_ROTATIONS)} (median of the rounds) | ${fmt(rate)} ${verdict(rate >= TARGET_ROTATIONS)} |`);
  p(`| no errors (every reply 200 with a new refresh token) | ${totalErrors} ${verdict(totalErrors === 0)} |`);
  p();
  const statuses = refresh.reduce(
    (a, r) => ({ s400: a.s400 + r.status_400, s401: a.s401 + r.status_401, s5xx: a.s5xx + r.status_5xx, other: a.other + r.status_other + r.no_token, starved: a.starved + r.starved }),
    { s400: 0, s401: 0, s5xx: 0, other: 0, starved: 0 },
  );
  if (totalErrors > 0) {
    p(
      `Errors by kind: 400 ${statuses.s400}, 401 ${statuses.s401}, 5xx ${statuses.s5xx}, other ${statuses.other}, ` +
        `requests sent by a connection whose chain had died ${statuses.starved}.`,
    );
    p();
  }
  p(
    'Server CPU % of one core: CPU the server used over the run divided by the run\'s length; with 2 cores and ' +
      'wrk on the same machine, well under 100 % means the server waits (for the disk or a lock), not that it is ' +
      'out of CPU.',
  );
  p();
}
p('"Other processes": CPU taken by everything except the server and wrk during the run, from /proc/stat (100 % = both cores); more than a few percent means the figures are depressed by a busy host.');
console.log(out.join('\n'));
process.exit(failed ? 1 : 0);
