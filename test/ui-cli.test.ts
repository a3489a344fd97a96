/**
 * `timestep ui <url…>` as a user runs it (the built bin), in front of an agent that sends no CORS
 * headers (the official `@a2a-js/sdk` server): the page comes pre-connected through the
 * `/agents/<n>` proxy (only to the URLs given: no open proxy), chats over JSON-RPC with SSE streamed
 * through, speaks the REST binding too, and says plainly what to do when an agent cannot be reached.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SdkProbe, type SdkServer, startSdkV1Server } from './helpers/sdk-servers.js';
import { launchBrowser, openUi, screenshot, ui } from './helpers/ui.js';
import { waitFor } from './helpers/wait.js';

const root = new URL('../', import.meta.url).pathname;

describe('timestep ui', () => {
  let sdk: SdkServer & { probe: SdkProbe };
  let child: ChildProcess;
  let uiUrl: string;
  let origin: string;
  let browser: Browser;
  let page: Page;
  let output = '';

  beforeAll(async () => {
    if (!existsSync(`${root}dist/cli/main.js`))
      throw new Error('dist/ is missing: run `npm run build` (npm test does).');
    sdk = await startSdkV1Server();
    child = spawn(process.execPath, [`${root}bin/timestep.js`, 'ui', sdk.url, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    uiUrl = await waitFor(
      () => output.match(/Timestep web UI at (\S+)/)?.[1],
      `the UI's URL (output: ${output})`,
      15_000,
    );
    origin = new URL(uiUrl).origin;
    browser = await launchBrowser();
    page = await openUi(browser, uiUrl);
  });
  afterAll(async () => {
    await browser?.close();
    child?.kill('SIGTERM');
    await sdk?.close();
  });

  it('prints the UI URL on 127.0.0.1 and which agent each proxy path reaches', () => {
    expect(uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
    expect(output).toContain(`agent 0: ${sdk.url}  (proxied at /agents/0)`);
  });

  it('proxies only the agents given on the command line', async () => {
    const config = await (await fetch(`${uiUrl}config.json`)).json();
    expect(config).toEqual({ agents: [{ url: '/agents/0', target: sdk.url }] });
    const card = (await (await fetch(`${origin}/agents/0/.well-known/agent-card.json`)).json()) as {
      name: string;
    };
    expect(card.name).toBe('SDK Echo Agent');
    expect((await fetch(`${origin}/agents/1/.well-known/agent-card.json`)).status).toBe(404);
    expect((await fetch(`${origin}/agents/x/`)).status).toBe(404);
    expect((await fetch(`${origin}/http://example.com/`)).status).toBe(404);
    expect((await fetch(origin, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
  });

  it('opens pre-connected to the agent, shows its card and chats through the proxy', async () => {
    const card = page.locator('.agent-card').first();
    await ui(card.locator('h3')).toHaveText('SDK Echo Agent');
    await ui(card.locator('.skills')).toContainText('Echo');
    await ui(card.locator('.iface')).toContainText(`JSON-RPC at ${origin}/agents/0/a2a/jsonrpc`);
    await page.locator('#input').fill('hello through the proxy');
    await page.locator('#input').press('Enter');
    await ui(page.locator('.msg.agent .answer').last()).toContainText('Echo: hello through the proxy');
    await ui(page.locator('.msg.agent .task-head .badge').last()).toHaveText('completed');
    // The agent really got it, from the proxy (not from the browser).
    const streamed = sdk.requests.filter((r) => r.path === '/a2a/jsonrpc' && r.method === 'POST');
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed.every((r) => r.headers.origin === undefined)).toBe(true);
    await screenshot(page, 'ui-cli');
  });

  it('cancels a running task on the SDK agent', async () => {
    await page.locator('#input').fill('slow');
    await page.locator('#input').press('Enter');
    await waitFor(() => sdk.probe.started.size > 0, 'the SDK agent to start the slow task');
    await ui(page.locator('#stop')).toBeVisible();
    await page.locator('#stop').click();
    await ui(page.locator('.msg.agent .task-head .badge').last()).toHaveText('canceled');
    expect(sdk.probe.cancelRequested.size).toBe(1);
    await screenshot(page, 'ui-cli-cancel');
  });

  it('speaks the REST binding too (a card that lists HTTP+JSON first)', async () => {
    // Plain JS in a string: vitest would rewrite a dynamic import() written in this file.
    const script = `(async (target) => {
      const { AgentClient } = await import('./a2a.js');
      const card = await (await fetch('/agents/0/.well-known/agent-card.json')).json();
      card.supportedInterfaces.reverse();
      const client = new AgentClient('/agents/0', card, { target });
      const events = [];
      let taskId = '';
      const message = { messageId: crypto.randomUUID(), role: 'ROLE_USER', parts: [{ text: 'over rest' }] };
      for await (const event of client.sendStream(message)) {
        if (event.task) taskId = event.task.id;
        events.push(Object.keys(event)[0]);
      }
      const task = await client.getTask(taskId);
      const list = await client.listTasks({ pageSize: 10 });
      let notFound = '';
      try {
        await client.getTask('no-such-task');
      } catch (err) {
        notFound = err.kind + ': ' + err.message;
      }
      return {
        binding: client.binding,
        endpoint: client.endpoint,
        events,
        state: task.status.state,
        text: task.artifacts[0].parts[0].text,
        listed: list.tasks.some((t) => t.id === taskId),
        notFound,
      };
    })(${JSON.stringify(sdk.url)})`;
    const result = (await page.evaluate(script)) as {
      binding: string;
      endpoint: string;
      events: string[];
      state: string;
      text: string;
      listed: boolean;
      notFound: string;
    };
    expect(result.binding).toBe('rest');
    expect(result.endpoint).toBe(`${origin}/agents/0/a2a/rest`);
    expect(result.events[0]).toBe('task');
    expect(result.events).toContain('artifactUpdate');
    expect(result.state).toBe('TASK_STATE_COMPLETED');
    expect(result.text).toBe('Echo: over rest');
    expect(result.listed).toBe(true);
    expect(result.notFound).toMatch(/^TaskNotFound: /);
    expect(sdk.requests.some((r) => r.path === '/a2a/rest/message:stream')).toBe(true);
  });

  it('reads SSE split anywhere across chunks (CRLF, comments, multi-line data, named events)', async () => {
    const script = `(async () => {
      const { readSse } = await import('./a2a.js');
      const chunks = ['data: {"a"', ':1}\\r', '\\ndata: 2\\r\\n\\r\\n: ping\\n\\nid: 7\\nevent: error\\ndata: x\\ndata: y\\n', '\\n'];
      const encoder = new TextEncoder();
      const body = new ReadableStream({
        start(controller) {
          for (const c of chunks) controller.enqueue(encoder.encode(c));
          controller.close();
        },
      });
      const events = [];
      for await (const e of readSse(body)) events.push(e);
      return events;
    })()`;
    expect(await page.evaluate(script)).toEqual([
      { event: 'message', data: '{"a":1}\n2' },
      { event: 'error', data: 'x\ny', id: '7' },
    ]);
  });

  it('says plainly what to do when an agent cannot be reached (no CORS, or nothing there)', async () => {
    // The SDK server sends no CORS headers: a page on another origin cannot call it directly.
    await page.locator('#connect-url').fill(sdk.url);
    await page.locator('#connect-form button').click();
    const failed = page.locator('.agent-card.failed');
    await ui(failed).toContainText(`Could not reach ${sdk.url}`);
    await ui(failed).toContainText('timestep ui');
    await ui(failed).toContainText('cors');
    await screenshot(page, 'ui-error');
  });
});
