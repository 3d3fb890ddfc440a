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
