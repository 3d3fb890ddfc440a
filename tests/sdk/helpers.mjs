// SPDX-License-Identifier: GPL-3.0-or-later
// Shared by the Node client tests: start a child that prints "listening on URL".
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export const children = [];

export function start(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    createInterface({ input: child.stdout }).once('line', (line) =>
      line.startsWith('listening on ') ? resolve(line.slice('listening on '.length)) : reject(new Error(`unexpected first line: ${line}`)));
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

export function stopAll() {
  for (const child of children) child.kill('SIGTERM');
}

// The fake Amazon Q and an amq2api-server in front of it.
export async function startProxy(serverArgs = []) {
  const fake = await start(process.env.AMQ_FAKE_UPSTREAM, ['--port=0']);
  const server = await start(process.env.AMQ_SERVER, ['--port=0', ...serverArgs], {
    AMAZONQ_REFRESH_TOKEN: 'rt-ok', AMAZONQ_CLIENT_ID: 'node-client', AMAZONQ_CLIENT_SECRET: 'node-secret',
    AMAZONQ_API_ENDPOINT: fake, AMAZONQ_TOKEN_ENDPOINT: `${fake}/token`,
  });
  return { fake, server };
}

// The last body amq2api-server sent the fake Amazon Q, parsed, and its current user message.
export async function lastUpstreamBody(fake) {
  const body = await (await fetch(`${fake}/last-body`)).json();
  return { body, current: body.conversationState.currentMessage.userInputMessage };
}

// The tool call of the fake's tool_args scenario: its arguments exactly as the model wrote them
// (split upstream inside escapes, CJK and emoji), and the object they hold.
export const toolArguments = '{"path": "C:\\\\dir\\\\\\"quoted\\"", "text": "引号「」 😀👍🏽 \\u00e9\\n", ' +
  '"nested": {"a": [1, {"b": null, "c": "\\\\"}], "d": true}}';
export const toolInput = { path: 'C:\\dir\\"quoted"', text: '引号「」 😀👍🏽 é\n', nested: { a: [1, { b: null, c: '\\' }], d: true } };
export const writeParameters = {
  type: 'object',
  properties: { path: { type: 'string' }, text: { type: 'string' }, nested: { type: 'object' } },
  required: ['path', 'text'],
};

// A 1×1 PNG.
export const pngBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
