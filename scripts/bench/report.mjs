// Turns the result lines scripts/bench/run.sh collects into the Markdown
// report: medians over the interleaved rounds, ratios taken round by round,
// and the verdicts against the targets.
//
//   node report.mjs RESULTS --command CMD --connections N --threads N
//        --duration S --nginx-workers W --peer DESCRIPTION
// Exit status 1 when a verdict fails.

import fs from 'node:fs';

const TARGET_NGINX = 0.25; // Portcullis >= 25 % of nginx
const TARGET_PEER = 15; // Portcullis >= 15 x the TypeScript SDK

const args = process.argv.slice(2);
const file = args[0];
const opt = (name, fallback = '') => {
  const i = args.indexOf(`--${name}`);
  return i > 0 ? args[i + 1] : fallback;
};

const rows = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => Object.fromEntries(l.trim().split(/\s+/).map((kv) => kv.split('=')).map(([k, v]) => [k, isNaN(Number(v)) ? v : Number(v)])));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const ms = (us) => fmt(us / 1000, 2);

for (const r of rows) {
  r.cpu_us = (r.cpu_ticks * 1e6) / r.tick_hz;
  r.cpu_per_req = r.requests > 0 ? r.cpu_us / r.requests : NaN;
  r.wrk_per_req = r.requests > 0 ? (r.wrk_ticks * 1e6) / r.tick_hz / r.requests : NaN;
}

const targets = [...new Set(rows.map((r) => r.target))];
const byTarget = Object.fromEntries(targets.map((t) => [t, rows.filter((r) => r.target === t)]));
const rounds = [...new Set(rows.map((r) => r.round))].sort((a, b) => a - b);
const connections = Number(opt('connections', '64'));

const stats = {};
for (const t of targets) {
  const rs = byTarget[t];
  const bad = rs.reduce((n, r) => n + r.bad_status + r.bad_body + r.unknown, 0);
  const errors = rs.reduce((n, r) => n + r.err_connect + r.err_read + r.err_write + r.err_status, 0);
  const timeouts = rs.reduce((n, r) => n + r.err_timeout, 0);
  const zero = rs.reduce((n, r) => n + r.conn_zero, 0);
  const extraTokens = rs.reduce((n, r) => n + Math.max(0, r.tokens - connections), 0);
  stats[t] = {
    rps: median(rs.map((r) => r.rps)),
    rpsMin: Math.min(...rs.map((r) => r.rps)),
    rpsMax: Math.max(...rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50_us)),
    p99: median(rs.map((r) => r.p99_us)),
    cpu: median(rs.map((r) => r.cpu_per_req)),
    wrkCpu: median(rs.map((r) => r.wrk_per_req)),
    others: median(rs.map((r) => r.others_pct)),
    rss: Math.max(...rs.map((r) => r.rss_kb)) / 1024,
    connMin: Math.min(...rs.map((r) => r.conn_min)),
    connMedian: median(rs.map((r) => r.conn_median)),
    connMax: Math.max(...rs.map((r) => r.conn_max)),
    zero,
    bad,
    errors,
    timeouts,
    extraTokens,
    tracked: rs.every((r) => r.tracked === 1),
    progress: zero === 0 && timeouts === 0 && bad === 0,
  };
}

// Ratio of a to b, round by round (the pair measured seconds apart), median.
const roundRatio = (a, b) =>
  median(
    rounds
      .map((k) => {
        const x = byTarget[a]?.find((r) => r.round === k);
        const y = byTarget[b]?.find((r) => r.round === k);
        return x && y ? x.rps / y.rps : NaN;
      })
      .filter(Number.isFinite),
  );

const out = [];
const p = (s = '') => out.push(s);
p(`Command: \`${opt('command')}\``);
p();
p(
  `wrk -t${opt('threads')} -c${connections} -d${opt('duration')}s per run, ${rounds.length} interleaved round(s), ` +
    `medians shown (req/s range in brackets). nginx: worker_processes ${opt('nginx-workers')}. ` +
    `Load average (1, 5, 15 min) at start / end: ${opt('load')}. ` +
    `Runs repeated because other processes were busy: ${opt('repeated', '0')}. ` +
    `Peer: ${opt('peer')}.`,
);
p();
p('| target | req/s (median) [min–max] | p50 ms | p99 ms | server CPU µs/req | wrk CPU µs/req | other processes, % of the machine | server RSS MB | requests per connection min / median / max | connections with 0 | bad replies | wrk errors / timeouts |');
p('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const t of targets) {
  const s = stats[t];
  const perConnection = s.tracked ? `${fmt(s.connMin)} / ${fmt(s.connMedian)} / ${fmt(s.connMax)}` : 'not counted';
  p(
    `| ${t} | ${fmt(s.rps)} [${fmt(s.rpsMin)}–${fmt(s.rpsMax)}] | ${ms(s.p50)} | ${ms(s.p99)} | ${fmt(s.cpu, 1)} | ${fmt(s.wrkCpu, 1)} | ${fmt(s.others, 1)} | ${fmt(s.rss, 1)} | ` +
      `${perConnection} | ${s.tracked ? s.zero : '–'} | ${s.tracked ? s.bad : '–'} | ${s.errors} / ${s.timeouts} |`,
  );
}
p();

let failed = false;
const verdict = (ok) => {
  if (!ok) failed = true;
  return ok ? 'PASS' : 'FAIL';
};
const portcullis = targets.filter((t) => t.startsWith('portcullis') && stats[t].tracked);
// The verdicts compare with the strictest reference: the fastest nginx (the
// ceiling) and the fastest peer measured with the same client.
const fastest = (prefix) =>
  targets
    .filter((t) => t.startsWith(prefix) && stats[t].tracked)
    .sort((a, b) => stats[b].rps - stats[a].rps)[0];
const nginx = fastest('nginx');
const peer = fastest('peer');
p(`Verdicts against the fastest nginx (${nginx}) and the fastest peer (${peer}).`);
p();
p(`| Portcullis mode | vs ${nginx} (target ≥ 25 %) | vs ${peer} (target ≥ 15×) | CPU/req vs ${nginx} | CPU/req vs ${peer} | every connection progressed |`);
p('|---|---|---|---|---|---|');
for (const t of portcullis) {
  const n = roundRatio(t, nginx);
  const q = roundRatio(t, peer);
  const s = stats[t];
  p(
    `| ${t} | ${fmt(n * 100, 1)} % ${verdict(n >= TARGET_NGINX)} | ${fmt(q, 1)}× ${verdict(q >= TARGET_PEER)} | ` +
      `${fmt(s.cpu / stats[nginx].cpu, 1)}× as much | ${fmt(stats[peer].cpu / s.cpu, 1)}× less | ` +
      `${verdict(s.progress)}${s.extraTokens ? ` (${s.extraTokens} reconnect(s) with a request outstanding)` : ''} |`,
  );
}
p();
const others = targets.filter((t) => (t.startsWith('nginx') || t.startsWith('peer')) && stats[t].tracked && t !== nginx && t !== peer);
for (const o of others) {
  const parts = portcullis.map((t) => `${t} ${o.startsWith('nginx') ? fmt(roundRatio(t, o) * 100, 1) + ' %' : fmt(roundRatio(t, o), 1) + '×'}`);
  p(`Against ${o} (reference): ${parts.join(', ')}.`);
}
if (stats['nginx-plain'] && stats['portcullis-2026-07-28-plain']) {
  const r = roundRatio('portcullis-2026-07-28-plain', 'nginx-plain');
  p(
    `With a plain wrk (one fixed request, no per-reply Lua hook, so the client takes less of the 2 cores): ` +
      `portcullis-2026-07-28-plain / nginx-plain = ${fmt(r * 100, 1)} % (reference, not a verdict; ` +
      `${fmt(stats['portcullis-2026-07-28-plain'].rps)} vs ${fmt(stats['nginx-plain'].rps)} req/s).`,
  );
}
p();
for (const t of targets) {
  if (!t.startsWith('portcullis') && stats[t].tracked && !stats[t].progress) {
    p(`Note: ${t} did not serve every connection (zero ${stats[t].zero}, timeouts ${stats[t].timeouts}, bad ${stats[t].bad}).`);
  }
}
p('"Other processes": CPU taken by everything except this server and wrk during the run, from /proc/stat (100 % = both cores); more than a few percent means the figures are depressed by a busy host.');
p('-plain rows: wrk without the per-reply hook (no reply checks, no per-connection counts).');
p('Ratios are medians of the per-round ratios (each pair measured within seconds of each other).');
p('"Every connection progressed": every wrk connection completed at least one request in every round, no request waited longer than wrk\'s 2 s timeout, and every reply was 200 with the echoed text.');
console.log(out.join('\n'));
process.exit(failed ? 1 : 0);
