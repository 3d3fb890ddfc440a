// Claude Code (the real `claude` CLI from npm) through amq2api-server and the fake Amazon Q:
// the fake asks for a Read tool call, Claude Code runs it, the result flows back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const claude = join(here, 'node_modules', '.bin', 'claude');
const children = [];
let fake;
let server;

function start(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    createInterface({ input: child.stdout }).once('line', (line) =>
      line.startsWith('listening on ') ? resolve(line.slice(13)) : reject(new Error(line)));
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

before(async () => {
  fake = await start(process.env.AMQ_FAKE_UPSTREAM, ['--port=0'], {});
  server = await start(process.env.AMQ_SERVER, ['--port=0'], {
    AMAZONQ_REFRESH_TOKEN: 'rt-ok', AMAZONQ_CLIENT_ID: 'cc', AMAZONQ_CLIENT_SECRET: 'cc',
    AMAZONQ_API_ENDPOINT: fake, AMAZONQ_TOKEN_ENDPOINT: `${fake}/token`,
  });
});

after(() => { for (const child of children) child.kill('SIGTERM'); });

test('claude -p completes a tool-using task through the proxy', { skip: !existsSync(claude) && 'claude not installed' }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'amq2api-claude-'));
  const work = mkdtempSync(join(tmpdir(), 'amq2api-work-'));
  const file = join(work, 'note.txt');
  writeFileSync(file, 'the magic word is xylophone-42\n');
  const run = spawnSync(claude, [
    '-p', `Read the file and tell me the magic word. SCENARIO:agent_read FILE:${file}`,
    '--output-format', 'json', '--allowedTools', 'Read,Bash', '--max-turns', '5',
  ], {
    cwd: work,
    env: {
      PATH: process.env.PATH, HOME: home, ANTHROPIC_BASE_URL: server, ANTHROPIC_AUTH_TOKEN: 'local',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, encoding: 'utf8',
  });
  assert.equal(run.status, 0, `claude failed: ${run.stderr}\n${run.stdout}`);
  const result = JSON.parse(run.stdout);
  assert.equal(result.is_error, false, run.stdout);
  assert.match(result.result, /xylophone-42/);
  assert.ok(result.num_turns >= 2, `expected a tool round trip, got ${result.num_turns} turns`);
  const stats = await (await fetch(`${fake}/stats`)).json();
  assert.equal(stats.invalid_bodies, 0, 'Amazon Q would have answered 400 to a converted request');
});
