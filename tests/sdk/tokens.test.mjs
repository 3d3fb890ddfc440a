// SPDX-License-Identifier: GPL-3.0-or-later
// count_tokens against Anthropic's own tokenizer (@anthropic-ai/tokenizer) on a corpus of
// prose, code, JSON and Chinese: the estimate's error, per kind of text, stays bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, stopAll } from './helpers.mjs';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens } from '@anthropic-ai/tokenizer';

const root = join(process.env.G_TEST_SRCDIR, '..');
let server;


before(async () => {
  server = await start(process.env.AMQ_SERVER, ['--port=0'], {
    AMAZONQ_REFRESH_TOKEN: 'unused', AMAZONQ_CLIENT_ID: 'unused', AMAZONQ_CLIENT_SECRET: 'unused',
  });
});
after(stopAll);

async function count(text) {
  const reply = await fetch(`${server}/v1/messages/count_tokens`, {
    method: 'POST',
    // fetch labels a string body text/plain, which the server refuses as a browser's would be
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: text }] }),
  });
  return (await reply.json()).input_tokens;
}

const read = (dir, filter) => readdirSync(join(root, dir)).filter(filter).map((f) => readFileSync(join(root, dir, f), 'utf8'));
const corpus = {
  prose: readFileSync(join(root, 'README.md'), 'utf8').split('\n\n').filter((p) => p.length > 40),
  code: read('src/core', (f) => f.endsWith('.c')),
  json: read('tests/data/requests', (f) => f.endsWith('.json')).filter((s) => s.length < 20000),
  chinese: readFileSync(join(root, 'po/zh_CN.po'), 'utf8').split('\n')
    .filter((l) => l.startsWith('msgstr') && /[\u4e00-\u9fff]/.test(l)).map((l) => l.slice(8, -1)),
};

test('count_tokens stays within 20% of the reference tokenizer for each kind of text', async () => {
  const base = await count(' ');  // not empty: an empty message becomes a placeholder text
  for (const [kind, samples] of Object.entries(corpus)) {
    let reference = 0;
    let estimate = 0;
    for (const text of samples) {
      reference += countTokens(text);
      estimate += (await count(text)) - base;
    }
    const error = (estimate - reference) / reference * 100;
    console.log(`# ${kind}: ${samples.length} samples, reference ${reference}, estimate ${estimate}, error ${error.toFixed(1)}%`);
    assert.ok(Math.abs(error) < 20, `${kind} off by ${error.toFixed(1)}%`);
  }
});
