// SPDX-License-Identifier: GPL-3.0-or-later
// Claude Code (the real `claude` CLI from npm) through amq2api-server and the fake Amazon Q:
// the fake asks for a Read tool call, Claude Code runs it, the result flows back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startProxy, stopAll } from './helpers.mjs';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const claude = join(here, 'node_modules', '.bin', 'claude');
let fake;
let server;


before(async () => {
  ({ fake, server } = await startProxy());
});

after(stopAll);

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
