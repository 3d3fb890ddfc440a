// SPDX-License-Identifier: GPL-3.0-or-later
// bench/soak.mjs PROXY_URL SERVER_PID [COUNT] — mixed traffic through amq2api-server; checks
// every answer and samples the server's RSS. Prints one JSON line; exits 1 on any wrong answer.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const [proxy, pid, countArg] = process.argv.slice(2);
const total = Number(countArg ?? 20000);
const concurrency = 16;
const warmup = 5000;  // the log (1,000 records), pools and arenas fill first: see bench/RESULTS.md

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const body = (scenario, stream, extra = {}) => JSON.stringify({
  model: 'claude-sonnet-4-5', max_tokens: 256, stream,
  messages: [{ role: 'user', content: `SCENARIO:${scenario}` }], ...extra,
});

// each case: request body and a check of the response
const cases = [
  [body('text', true), 200, (t) => t.includes('"text":"Hello"') && t.endsWith('data: {"type":"message_stop"}\n\n')],
  [body('text', false), 200, (t) => JSON.parse(t).content[0].text.startsWith('Hello, wörld')],
  [body('tool_use', false), 200, (t) => {
    const m = JSON.parse(t);
    assert.deepEqual(m.content[1].input, { command: 'ls -la /tmp/café ☕ "q" é', description: 'List' });
    return m.stop_reason === 'tool_use';
  }],
  [body('two_tools', true), 200, (t) => t.includes('"name":"Read"') && t.includes('"name":"Glob"') && t.includes('"stop_reason":"tool_use"')],
  [body('thinking', true, { thinking: { type: 'enabled', budget_tokens: 1024 } }), 200, (t) => t.includes('"thinking_delta"')],
  [body('http_429', false), 429, (t) => JSON.parse(t).error.type === 'rate_limit_error'],
  [body('http_400', true), 400, (t) => JSON.parse(t).error.type === 'invalid_request_error'],
  [body('exception', true), 200, (t) => t.includes('event: error') && !t.includes('message_stop')],
  [body('truncated', false), 502, (t) => JSON.parse(t).error.type === 'api_error'],
  ['{"model": 5}', 400, (t) => JSON.parse(t).error.type === 'invalid_request_error'],
];

let next = 0;
let wrong = 0;
let done = 0;
let warmRss = 0;
const samples = [];
const start = Date.now();

async function worker() {
  while (next < total) {
    const i = next++;
    const [payload, status, check] = cases[i % cases.length];
    try {
      const reply = await fetch(`${proxy}/v1/messages`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
      const text = await reply.text();
      if (reply.status !== status || !check(text)) throw new Error(`case ${i % cases.length}: ${reply.status} ${text.slice(0, 200)}`);
    } catch (e) {
      wrong++;
      if (wrong <= 5) console.error(String(e), e.cause && String(e.cause), i % cases.length);
    }
    done++;
    if (done === warmup) warmRss = rssKb();
    if (done % 2000 === 0) samples.push(rssKb());
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
const endRss = rssKb();
console.log(JSON.stringify({
  requests: total, wrong, seconds: (Date.now() - start) / 1000,
  rss_after_warmup_kb: warmRss, rss_end_kb: endRss, rss_growth_kb: endRss - warmRss, rss_samples_kb: samples,
}));
process.exit(wrong === 0 && endRss - warmRss < 2048 ? 0 : 1);
