// SPDX-License-Identifier: GPL-3.0-or-later
// The official Anthropic TypeScript SDK against amq2api-server and the fake Amazon Q.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, startProxy, stopAll } from './helpers.mjs';
import Anthropic from '@anthropic-ai/sdk';

let client;
let fakeUrl;
let serverUrl;


before(async () => {
  const { fake, server } = await startProxy(['--ping-interval=1', '--idle-timeout=3']);
  fakeUrl = fake;
  serverUrl = server;
  client = new Anthropic({ baseURL: server, apiKey: 'any-key', maxRetries: 0, timeout: 30_000 });
});

after(stopAll);

const ask = (scenario, extra = {}) => ({
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 1024,
  messages: [{ role: 'user', content: `Please help SCENARIO:${scenario}` }],
  ...extra,
});

test('text: stream and non-stream give the same message', async () => {
  const streamed = await client.messages.stream(ask('text')).finalMessage();
  const plain = await client.messages.create(ask('text'));
  for (const message of [streamed, plain]) {
    assert.equal(message.role, 'assistant');
    assert.equal(message.model, 'claude-sonnet-4-5-20250929');
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0].text, 'Hello, wörld 你好 👋\n"quoted" \\ back');
    assert.equal(message.usage.output_tokens, 9);
  }
});

test('tool use: fragments split inside strings and escapes become one input object', async () => {
  for (const message of [await client.messages.stream(ask('tool_use')).finalMessage(),
                         await client.messages.create(ask('tool_use'))]) {
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.content[0].type, 'text');
    const tool = message.content[1];
    assert.equal(tool.type, 'tool_use');
    assert.equal(tool.id, 'tooluse_abc123');
    assert.equal(tool.name, 'Bash');
    assert.deepEqual(tool.input, { command: 'ls -la /tmp/café ☕ "q" é', description: 'List' });
  }
});

test('two tools in one turn, duplicated frames once', async () => {
  const two = await client.messages.stream(ask('two_tools')).finalMessage();
  assert.deepEqual(two.content.map((b) => [b.type, b.name, b.input]), [
    ['tool_use', 'Read', { file_path: '/etc/hostname' }],
    ['tool_use', 'Glob', { pattern: '**/*.c' }],
  ]);
  const dup = await client.messages.stream(ask('duplicated')).finalMessage();
  assert.equal(dup.content.filter((b) => b.type === 'tool_use').length, 1);
  assert.deepEqual(dup.content[1].input, { command: 'echo hi' });
});

test('thinking blocks when thinking is enabled', async () => {
  const params = ask('thinking', { thinking: { type: 'enabled', budget_tokens: 2048 } });
  const message = await client.messages.stream(params).finalMessage();
  assert.equal(message.content[0].type, 'thinking');
  assert.equal(message.content[0].thinking, 'The user wants 2+2. That is 4.');
  assert.equal(message.content[1].text, 'The answer is 4. A literal <thinking> tag stays text.');
});

test('stop sequences cut the text and are reported', async () => {
  const message = await client.messages.create(ask('stop_sequence', { stop_sequences: ['STOP'] }));
  assert.equal(message.stop_reason, 'stop_sequence');
  assert.equal(message.stop_sequence, 'STOP');
  assert.equal(message.content[0].text, 'one two ');
});

test('a cut-off tool call ends with max_tokens and no broken tool_use', async () => {
  const message = await client.messages.stream(ask('tool_cut_off')).finalMessage();
  assert.equal(message.stop_reason, 'max_tokens');
  assert.equal(message.content.filter((b) => b.type === 'tool_use').length, 0);
});

test('HTTP errors surface as the SDK error classes', async () => {
  await assert.rejects(client.messages.create(ask('http_429')), (e) => e instanceof Anthropic.RateLimitError);
  await assert.rejects(client.messages.stream(ask('http_400')).finalMessage(), (e) => e instanceof Anthropic.BadRequestError);
  await assert.rejects(client.messages.create(ask('http_403_suspended')), (e) => e instanceof Anthropic.PermissionDeniedError);
  await assert.rejects(client.messages.create(ask('http_400_too_long')),
    (e) => e instanceof Anthropic.BadRequestError && /prompt is too long: \d+ tokens > \d+ maximum/.test(e.message));
});

test('faults after the headers surface as errors, never as end_turn', async () => {
  for (const scenario of ['exception', 'truncated', 'bad_crc', 'error_frame', 'stall']) {
    await assert.rejects(client.messages.stream(ask(scenario)).finalMessage(), (e) => {
      assert.ok(e instanceof Anthropic.APIError || e instanceof Error, scenario);
      return true;
    }, scenario);
  }
  await assert.rejects(client.messages.stream(ask('exception')).finalMessage(), (e) => /rate_limit_error|Too many requests/.test(String(e.message)));
});

test('pings during silence keep the stream alive', async () => {
  const stream = client.messages.stream(ask('slow'));
  const message = await stream.finalMessage();
  assert.equal(message.content[0].text, 'slow but steady');
});

test("models come from Amazon Q's own list, page to the end with after_id, and are cached", async () => {
  const ids = [];
  for await (const model of client.models.list({ limit: 2 })) ids.push(model.id);
  assert.deepEqual(ids, ['claude-sonnet-4-5', 'claude-opus-4-5', 'claude-haiku-4-5', 'claude-sonnet-4', 'claude-opus-4-6']);
  const one = await client.models.retrieve('claude-opus-4-6');
  assert.equal(one.display_name, 'Claude Opus 4.6 (from the fake upstream)');
  const stats = await (await fetch(`${fakeUrl}/stats`)).json();
  assert.equal(stats.model_lists, 1);
  await assert.rejects(client.models.retrieve('claude-nonexistent'), (e) => e instanceof Anthropic.NotFoundError);
  // the same list answers OpenAI's clients: object, created (Unix seconds) and owned_by on each item
  const raw = await (await fetch(`${serverUrl}/v1/models`, { headers: { authorization: 'Bearer any-key' } })).json();
  assert.equal(raw.object, 'list');
  for (const model of raw.data) {
    assert.equal(model.object, 'model');
    assert.equal(model.created, Date.parse(model.created_at) / 1000);
    assert.equal(typeof model.owned_by, 'string');
  }
});

test('count_tokens counts system, messages and tools', async () => {
  const small = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
  const large = await client.messages.countTokens({
    model: 'claude-sonnet-4-5',
    system: 'You are a careful assistant. '.repeat(50),
    messages: [{ role: 'user', content: 'hi' }],
    tools: [{ name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }],
  });
  assert.ok(small.input_tokens > 0);
  assert.ok(large.input_tokens > small.input_tokens + 300, `${large.input_tokens} vs ${small.input_tokens}`);
});
