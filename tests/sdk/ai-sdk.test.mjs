// SPDX-License-Identifier: GPL-3.0-or-later
// The AI SDK (`ai` with `@ai-sdk/openai`) against amq2api-server and the fake Amazon Q, through
// both of its OpenAI models: Chat Completions (openai.chat) and the Responses API (openai.responses).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, jsonSchema, streamText, tool } from 'ai';
import { lastUpstreamBody, pngBase64, startProxy, stopAll, toolInput, writeParameters } from './helpers.mjs';

const key = 'local-ai-sdk-key';
const text = 'Hello, wörld 你好 👋\n"quoted" \\ back';
let openai;
let fake;

before(async () => {
  let server;
  ({ fake, server } = await startProxy([`--api-key=${key}`]));
  openai = createOpenAI({ baseURL: `${server}/v1`, apiKey: key });
});

after(stopAll);

const apis = {
  chat: (id) => openai.chat(id),
  responses: (id) => openai.responses(id),
};

const model = (api) => apis[api]('claude-sonnet-4-5');
const prompt = (scenario) => `Please help SCENARIO:${scenario}`;

for (const api of Object.keys(apis)) {
  test(`${api}: exact text, generated and streamed, with Amazon Q's usage`, async () => {
    const generated = await generateText({ model: model(api), prompt: prompt('text'), maxRetries: 0 });
    const streamed = streamText({ model: model(api), prompt: prompt('text'), maxRetries: 0 });
    assert.equal(generated.text, text);
    assert.equal(await streamed.text, text);
    assert.equal(generated.finishReason, 'stop');
    assert.equal(await streamed.finishReason, 'stop');
    for (const usage of [generated.usage, await streamed.usage]) {
      assert.equal(usage.inputTokens, 1230);
      assert.equal(usage.outputTokens, 9);
      assert.equal(usage.totalTokens, 1239);
      assert.deepEqual(usage.inputTokenDetails, { noCacheTokens: 1200, cacheReadTokens: 30, cacheWriteTokens: 0 });
    }
    const counted = (await generateText({ model: model(api), prompt: prompt('usage'), maxRetries: 0 })).usage;
    assert.deepEqual([counted.inputTokens, counted.inputTokenDetails, counted.totalTokens],
      [83456, { noCacheTokens: 2048, cacheReadTokens: 80000, cacheWriteTokens: 1408 }, 83459]);
  });

  test(`${api}: tool-call input exactly as the model wrote it, generated and streamed`, async () => {
    const tools = { Write: tool({ description: 'Writes a file', inputSchema: jsonSchema(writeParameters) }) };
    const generated = await generateText({ model: model(api), prompt: prompt('tool_args'), tools, maxRetries: 0 });
    const streamed = streamText({ model: model(api), prompt: prompt('tool_args'), tools, maxRetries: 0 });
    assert.equal(generated.finishReason, 'tool-calls');
    assert.equal(generated.text, 'Writing it.');
    for (const calls of [generated.toolCalls, await streamed.toolCalls]) {
      assert.equal(calls.length, 1);
      assert.deepEqual([calls[0].toolCallId, calls[0].toolName], ['tooluse_args1', 'Write']);
      assert.deepEqual(calls[0].input, toolInput);
    }
  });

  test(`${api}: a tool result turn, the system prompt and an image reach Amazon Q`, async () => {
    const result = await generateText({
      model: model(api),
      system: 'SYSTEM-RULE-1',
      maxRetries: 0,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Read it SCENARIO:agent_read FILE:/tmp/motd' },
                                  { type: 'image', image: pngBase64, mediaType: 'image/png' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'tooluse_agent1', toolName: 'Read', input: { file_path: '/tmp/motd' } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'tooluse_agent1', toolName: 'Read',
                                    output: { type: 'text', value: 'hello from the file ✓' } }] },
      ],
    });
    assert.equal(result.text, 'The file says: hello from the file ✓');
    const { body, current } = await lastUpstreamBody(fake);
    assert.ok(body.conversationState.history[0].userInputMessage.content.includes('SYSTEM-RULE-1'));
    assert.equal(current.userInputMessageContext.toolResults[0].content[0].text, 'hello from the file ✓');
    const asker = body.conversationState.history.find((m) => m.userInputMessage?.images);
    assert.deepEqual(asker.userInputMessage.images, [{ format: 'png', source: { bytes: pngBase64 } }]);
  });

  test(`${api}: rate limits and bad requests are APICallErrors with their status`, async () => {
    await assert.rejects(generateText({ model: model(api), prompt: prompt('http_429'), maxRetries: 0 }),
      (e) => APICallError.isInstance(e) && e.statusCode === 429 && e.responseHeaders['retry-after'] === '17');
    await assert.rejects(generateText({ model: model(api), prompt: prompt('http_400'), maxRetries: 0 }),
      (e) => APICallError.isInstance(e) && e.statusCode === 400 && !e.isRetryable);
  });

  test(`${api}: a failure mid-stream ends the stream with an error, not a finish`, async () => {
    const parts = [];
    const streamed = streamText({ model: model(api), prompt: prompt('exception'), maxRetries: 0, onError: () => {} });
    for await (const part of streamed.fullStream) parts.push(part);
    const failure = parts.find((part) => part.type === 'error');
    assert.ok(failure, parts.map((part) => part.type).join());
    assert.match(JSON.stringify(failure.error), /Too many requests|rate_limit_exceeded/);
    assert.notEqual(parts.findLast((part) => part.type === 'finish')?.finishReason, 'stop');
  });
}
