// SPDX-License-Identifier: GPL-3.0-or-later
// The official OpenAI TypeScript SDK (`openai`) against amq2api-server and the fake Amazon Q:
// Chat Completions and the Responses API, streamed and not, with the local key as its API key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { lastUpstreamBody, pngBase64, startProxy, stopAll, toolArguments, toolInput, writeParameters } from './helpers.mjs';

const key = 'local-openai-key';
const model = 'claude-sonnet-4-5';
const text = 'Hello, wörld 你好 👋\n"quoted" \\ back';
let client;
let fake;
let server;

before(async () => {
  ({ fake, server } = await startProxy([`--api-key=${key}`, '--ping-interval=1', '--idle-timeout=3']));
  client = new OpenAI({ baseURL: `${server}/v1`, apiKey: key, maxRetries: 0, timeout: 30_000 });
});

after(stopAll);

const chat = (scenario, extra = {}) => ({
  model,
  messages: [{ role: 'user', content: `Please help SCENARIO:${scenario}` }],
  ...extra,
});

const writeTool = { type: 'function', function: { name: 'Write', description: 'Writes a file', parameters: writeParameters } };

// Every chunk of a streamed chat completion, usage asked for.
async function chunksOf(params) {
  const chunks = [];
  for await (const chunk of await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }))
    chunks.push(chunk);
  return chunks;
}

test('chat: the same exact text streamed and not, with usage from Amazon Q', async () => {
  const plain = await client.chat.completions.create(chat('text'));
  const streamed = await client.chat.completions.stream(chat('text')).finalChatCompletion();
  for (const completion of [plain, streamed]) {
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.model, model);
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.choices[0].message.content, text);
    assert.equal(completion.choices[0].finish_reason, 'stop');
  }
  assert.deepEqual(plain.usage, {
    prompt_tokens: 1230, completion_tokens: 9, total_tokens: 1239,
    prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 0 },
  });
  const chunks = await chunksOf(chat('text'));
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), text);
  assert.deepEqual(chunks.at(-1).usage, plain.usage);
  assert.match(plain._request_id, /^req_/);
});

test('chat: cache reads and writes from Amazon Q count as prompt tokens and are told apart', async () => {
  const completion = await client.chat.completions.create(chat('usage'));
  assert.deepEqual(completion.usage, {
    prompt_tokens: 83456, completion_tokens: 3, total_tokens: 83459,
    prompt_tokens_details: { cached_tokens: 80000, cache_write_tokens: 1408 },
  });
});

test('chat: tool-call arguments arrive exactly as the model wrote them, streamed and not', async () => {
  const params = chat('tool_args', { tools: [writeTool] });
  for (const completion of [await client.chat.completions.create(params),
                            await client.chat.completions.stream(params).finalChatCompletion()]) {
    const message = completion.choices[0].message;
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    assert.equal(message.content, 'Writing it.');
    assert.equal(message.tool_calls.length, 1);
    assert.equal(message.tool_calls[0].id, 'tooluse_args1');
    assert.equal(message.tool_calls[0].function.name, 'Write');
    assert.equal(message.tool_calls[0].function.arguments, toolArguments);
    assert.deepEqual(JSON.parse(message.tool_calls[0].function.arguments), toolInput);
  }
  const { current } = await lastUpstreamBody(fake);
  assert.equal(current.userInputMessageContext.tools[0].toolSpecification.name, 'Write');
});

test('chat: a tool result turn reaches Amazon Q and its answer comes back', async () => {
  const completion = await client.chat.completions.create({
    model,
    messages: [
      { role: 'user', content: 'Read it SCENARIO:agent_read FILE:/tmp/motd' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'tooluse_agent1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/tmp/motd"}' } }] },
      { role: 'tool', tool_call_id: 'tooluse_agent1', content: 'hello from the file ✓' },
    ],
    tools: [{ type: 'function', function: { name: 'Read', parameters: { type: 'object', properties: { file_path: { type: 'string' } } } } }],
  });
  assert.equal(completion.choices[0].message.content, 'The file says: hello from the file ✓');
  const { body, current } = await lastUpstreamBody(fake);
  const results = current.userInputMessageContext.toolResults;
  assert.equal(results[0].toolUseId, 'tooluse_agent1');
  assert.equal(results[0].content[0].text, 'hello from the file ✓');
  const asked = body.conversationState.history.at(-1).assistantResponseMessage.toolUses[0];
  assert.deepEqual([asked.toolUseId, asked.name, asked.input], ['tooluse_agent1', 'Read', { file_path: '/tmp/motd' }]);
});

test('chat: system and developer text and images reach Amazon Q', async () => {
  await client.chat.completions.create({
    model,
    messages: [
      { role: 'system', content: 'SYSTEM-RULE-1' },
      { role: 'developer', content: [{ type: 'text', text: 'DEVELOPER-RULE-2' }] },
      { role: 'user', content: [{ type: 'text', text: 'What is this? SCENARIO:text' },
                                { type: 'image_url', image_url: { url: `data:image/png;base64,${pngBase64}` } }] },
    ],
  });
  const { body, current } = await lastUpstreamBody(fake);
  const system = body.conversationState.history[0].userInputMessage.content;
  assert.ok(system.includes('SYSTEM-RULE-1') && system.includes('DEVELOPER-RULE-2'), system);
  assert.deepEqual(current.images, [{ format: 'png', source: { bytes: pngBase64 } }]);
});

test('chat: errors surface as the SDK error classes', async () => {
  await assert.rejects(client.chat.completions.create(chat('http_429')), (e) => {
    assert.ok(e instanceof OpenAI.RateLimitError);
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.equal(e.headers.get('retry-after'), '17');
    return true;
  });
  await assert.rejects(client.chat.completions.create(chat('http_400', { stream: true })), OpenAI.BadRequestError);
  await assert.rejects(client.chat.completions.create(chat('http_400_too_long')),
    (e) => e instanceof OpenAI.BadRequestError && e.code === 'context_length_exceeded');
  await assert.rejects(client.chat.completions.create(chat('text', { n: 2 })),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'n');
  const stranger = new OpenAI({ baseURL: `${server}/v1`, apiKey: 'wrong-key', maxRetries: 0 });
  await assert.rejects(stranger.chat.completions.create(chat('text')),
    (e) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key' && !e.message.includes(key));
});

test('chat: a failure mid-stream throws, never ends as a success', async () => {
  await assert.rejects(chunksOf(chat('exception')), (e) => e instanceof OpenAI.APIError && e.code === 'rate_limit_exceeded');
  await assert.rejects(client.chat.completions.stream(chat('truncated')).finalChatCompletion(), OpenAI.APIError);
});

test('chat: pings (SSE comments) keep a silent stream alive', async () => {
  const completion = await client.chat.completions.stream(chat('slow')).finalChatCompletion();
  assert.equal(completion.choices[0].message.content, 'slow but steady');
});

const ask = (scenario, extra = {}) => ({ model, input: `Please help SCENARIO:${scenario}`, ...extra });

test('responses: the same exact text streamed and not, with usage from Amazon Q', async () => {
  const plain = await client.responses.create(ask('text'));
  const streamed = await client.responses.stream(ask('text')).finalResponse();
  for (const response of [plain, streamed]) {
    assert.match(response.id, /^resp_/);
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text, text);
    assert.deepEqual(response.usage, {
      input_tokens: 1230, input_tokens_details: { cached_tokens: 30, cache_write_tokens: 0 },
      output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1239,
    });
  }
  const usage = (await client.responses.create(ask('usage'))).usage;
  assert.deepEqual([usage.input_tokens, usage.input_tokens_details, usage.total_tokens],
    [83456, { cached_tokens: 80000, cache_write_tokens: 1408 }, 83459]);
});

test('responses: function-call arguments arrive exactly, streamed and not', async () => {
  const params = ask('tool_args', { tools: [{ type: 'function', name: 'Write', parameters: writeParameters, strict: false }] });
  for (const response of [await client.responses.create(params), await client.responses.stream(params).finalResponse()]) {
    const call = response.output.find((item) => item.type === 'function_call');
    assert.equal(response.output_text, 'Writing it.');
    assert.equal(call.call_id, 'tooluse_args1');
    assert.equal(call.name, 'Write');
    assert.equal(call.arguments, toolArguments);
    assert.deepEqual(JSON.parse(call.arguments), toolInput);
  }
});

test('responses: a function_call_output turn, instructions, developer text and images reach Amazon Q', async () => {
  const response = await client.responses.create({
    model,
    instructions: 'INSTRUCTIONS-RULE-1',
    input: [
      { role: 'developer', content: 'DEVELOPER-RULE-2' },
      { role: 'user', content: [{ type: 'input_text', text: 'Read it SCENARIO:agent_read FILE:/tmp/motd' },
                                { type: 'input_image', image_url: `data:image/png;base64,${pngBase64}`, detail: 'auto' }] },
      { type: 'function_call', call_id: 'tooluse_agent1', name: 'Read', arguments: '{"file_path":"/tmp/motd"}' },
      { type: 'function_call_output', call_id: 'tooluse_agent1', output: 'hello from the file ✓' },
    ],
  });
  assert.equal(response.output_text, 'The file says: hello from the file ✓');
  const { body, current } = await lastUpstreamBody(fake);
  const system = body.conversationState.history[0].userInputMessage.content;
  assert.ok(system.includes('INSTRUCTIONS-RULE-1') && system.includes('DEVELOPER-RULE-2'), system);
  assert.equal(current.userInputMessageContext.toolResults[0].content[0].text, 'hello from the file ✓');
  const asker = body.conversationState.history.find((m) => m.userInputMessage?.images);
  assert.deepEqual(asker.userInputMessage.images, [{ format: 'png', source: { bytes: pngBase64 } }]);
});

test('responses: errors surface as the SDK error classes, a failure mid-stream as a thrown APIError', async () => {
  await assert.rejects(client.responses.create(ask('http_429')), OpenAI.RateLimitError);
  await assert.rejects(client.responses.create(ask('http_400', { stream: true })), OpenAI.BadRequestError);
  await assert.rejects(client.responses.create(ask('text', { previous_response_id: 'resp_earlier' })),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id');
  // the error event carries OpenAI's error object too, which the SDK throws on
  const types = [];
  await assert.rejects((async () => {
    for await (const event of await client.responses.create(ask('exception', { stream: true }))) types.push(event.type);
  })(), (e) => e instanceof OpenAI.APIError && e.code === 'rate_limit_exceeded' && /Too many requests/.test(e.message));
  assert.equal(types.at(-1), 'response.output_text.delta');
  await assert.rejects(client.responses.stream(ask('truncated')).finalResponse(), OpenAI.APIError);
});

test('models: the OpenAI client lists and retrieves the same models', async () => {
  const ids = [];
  for await (const entry of client.models.list()) {
    assert.equal(entry.object, 'model');
    ids.push(entry.id);
  }
  assert.ok(ids.includes('claude-sonnet-4-5'), ids.join());
  assert.equal((await client.models.retrieve('claude-opus-4-6')).id, 'claude-opus-4-6');
});
