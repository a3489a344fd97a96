/**
 * The web UI in headless Chromium with tool calls the user acts on: approve, refuse with a reason,
 * edit the arguments, answer a client-side tool, an approval asked two agents down a handoff chain
 * (which agent asks), and cancelling a running task.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { A2AServer } from '../src/a2a/server/server.js';
import { Agent } from '../src/agent/agent.js';
import { Environment, tool } from '../src/environment/index.js';
import { ScriptedModel } from '../src/models/scripted.js';
import { createTestAgent } from './helpers/agents.js';
import { launchBrowser, openUi, screenshot, ui } from './helpers/ui.js';
import { waitFor } from './helpers/wait.js';

/** What the tools really did (the UI must not fake it). */
const ran = { deleted: [] as string[], slowStarted: 0, slowAborted: 0, weather: [] as string[] };

function toolAgent(): Agent {
  return new Agent({
    name: 'Files Agent',
    description: 'Deletes files (with your approval) and runs slow jobs.',
    environment: new Environment({
      name: 'files',
      systemPrompt: 'You manage files.',
      handoff: false,
      tools: [
        tool({
          name: 'delete_file',
          description: 'Delete a file',
          parameters: z.object({ path: z.string() }),
          needsApproval: true,
          execute: ({ path }) => {
            ran.deleted.push(path);
            return `deleted ${path}`;
          },
        }),
        tool({
          name: 'get_location',
          description: "The user's location (the browser knows it)",
          parameters: z.object({}),
          clientSide: true,
          execute: () => 'unreachable: the client runs this tool',
        }),
        tool({
          name: 'slow_job',
          description: 'A job that runs until it is cancelled',
          parameters: z.object({}),
          execute: (_args, { signal }) => {
            ran.slowStarted++;
            return new Promise<string>((resolve) => {
              signal.addEventListener('abort', () => {
                ran.slowAborted++;
                resolve('aborted');
              });
            });
          },
        }),
      ],
    }),
    model: new ScriptedModel({
      rules: [
        {
          when: /delete (\S+)/,
          reply: (_r, m) => ({ toolCalls: [{ name: 'delete_file', arguments: { path: m![1]! } }] }),
        },
        { when: /where am i/i, reply: { toolCalls: [{ name: 'get_location', arguments: {} }] } },
        {
          when: /slow/,
          reply: { text: 'Starting the job. ', toolCalls: [{ name: 'slow_job', arguments: {} }] },
        },
      ],
    }),
    store: 'memory',
  });
}

/** A weather agent whose get_weather needs approval, a middle agent handing off to it, and a relay handing off to the middle one. */
async function chain(): Promise<{ relay: Agent; middle: Agent; weather: Agent }> {
  const weather = new Agent({
    name: 'Guarded Weather',
    description: 'Weather, with approval',
    environment: new Environment({
      name: 'weather',
      systemPrompt: 'Report the weather.',
      handoff: false,
      tools: [
        tool({
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: z.object({ city: z.string() }),
          needsApproval: true,
          execute: ({ city }) => {
            ran.weather.push(city);
            return `18°C, fog in ${city}`;
          },
        }),
      ],
    }),
    model: ScriptedModel.demo(),
    store: 'memory',
  });
  const { url } = await weather.listen({ port: 0 });
  const middle = new Agent({
    name: 'Middle',
    description: 'Passes questions on, too',
    environment: new Environment({
      name: 'middle',
      systemPrompt: 'Hand off.',
      handoff: { agents: [{ url, name: 'Guarded Weather' }] },
    }),
    model: ScriptedModel.demo(),
    store: 'memory',
  });
  const { url: middleUrl } = await middle.listen({ port: 0 });
  const relay = new Agent({
    name: 'Relay',
    description: 'Passes questions on',
    environment: new Environment({
      name: 'relay',
      systemPrompt: 'Hand off.',
      handoff: { agents: [{ url: middleUrl, name: 'Middle' }] },
    }),
    model: ScriptedModel.demo(),
    store: 'memory',
  });
  await relay.listen({ port: 0 });
  return { relay, middle, weather };
}

/** A plain A2A agent (Worker API) whose answer is a data artifact and a file to download. */
function reportsAgent(): A2AServer {
  return new A2AServer({
    card: { name: 'Reports Agent', description: 'Writes reports as files.' },
    store: 'memory',
    worker: async (ctx) => {
      await ctx.sendStatus('Collecting the numbers');
      await ctx.emitArtifact({
        artifactId: 'numbers',
        name: 'numbers',
        content: [{ data: { rows: 2, total: 42 } }],
      });
      await ctx.emitArtifact({
        artifactId: 'report',
        name: 'report',
        content: [
          {
            raw: Buffer.from('hello file\n').toString('base64'),
            filename: 'report.txt',
            mediaType: 'text/plain',
          },
        ],
      });
      await ctx.complete(`Report for: ${ctx.userText}`);
    },
  });
}

async function ask(page: Page, text: string): Promise<void> {
  await page.locator('#input').fill(text);
  await page.locator('#input').press('Enter');
}

describe('web UI: tool calls and cancel', () => {
  let agent: Agent;
  let relay: Agent;
  let middle: Agent;
  let weather: Agent;
  let reports: A2AServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    agent = toolAgent();
    await agent.listen({ port: 0 });
    ({ relay, middle, weather } = await chain());
    reports = reportsAgent();
    await reports.listen({ port: 0 });
    browser = await launchBrowser();
    page = await openUi(browser, `${agent.url}/ui/`);
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await relay?.close();
    await middle?.close();
    await weather?.close();
    await reports?.close();
  });

  it('approves a call waiting for approval, and the tool runs', async () => {
    await ask(page, 'delete /tmp/a.txt');
    const card = page.locator('.tool-card[data-tool="delete_file"]').last();
    await ui(card).toContainText('needs your approval');
    await ui(card.locator('dl.args')).toContainText('/tmp/a.txt');
    await ui(page.locator('.msg.agent .task-head .badge').last()).toHaveText('input required');
    await screenshot(page, 'ui-approval');
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await ui(page.locator('.msg.agent .answer').last()).toContainText('deleted /tmp/a.txt');
    await ui(page.locator('.msg.agent .task-head .badge').last()).toHaveText('completed');
    expect(ran.deleted).toEqual(['/tmp/a.txt']);
  });

  it('refuses a call with a reason, which the model sees, and the tool does not run', async () => {
    await ask(page, 'delete /etc/passwd');
    const card = page.locator('.tool-card[data-tool="delete_file"]').last();
    await ui(card.locator('dl.args')).toContainText('/etc/passwd');
    await card.getByRole('button', { name: 'Refuse…' }).click();
    await card.getByLabel('Reason for refusing').fill('that is a system file');
    await card.getByRole('button', { name: 'Refuse', exact: true }).click();
    const answer = page.locator('.msg.agent .answer').last();
    await ui(answer).toContainText('The user refused this call: that is a system file');
    await ui(page.locator('.msg.agent .note').last()).toContainText(
      'You refused delete_file: that is a system file',
    );
    expect(ran.deleted).toEqual(['/tmp/a.txt']);
    await screenshot(page, 'ui-refuse');
  });

  it('edits the arguments of a call before approving it', async () => {
    await ask(page, 'delete /tmp/wrong.txt');
    const card = page.locator('.tool-card[data-tool="delete_file"]').last();
    await card.getByRole('button', { name: 'Edit arguments…' }).click();
    const args = card.getByLabel('Arguments (JSON)');
    await args.fill('{"path": oops}');
    await card.getByRole('button', { name: 'Approve with these arguments' }).click();
    await ui(card.locator('.bad')).toContainText('Not valid JSON');
    await args.fill('{"path": "/tmp/right.txt"}');
    await card.getByRole('button', { name: 'Approve with these arguments' }).click();
    await ui(page.locator('.msg.agent .answer').last()).toContainText('deleted /tmp/right.txt');
    expect(ran.deleted).toEqual(['/tmp/a.txt', '/tmp/right.txt']);
    await screenshot(page, 'ui-edit-arguments');
  });

  it('answers a client-side tool', async () => {
    await ask(page, 'Where am I?');
    const card = page.locator('.tool-card[data-tool="get_location"]').last();
    await ui(card).toContainText('your tool');
    await card.getByLabel('Result of get_location').fill('Lisbon');
    await card.getByRole('button', { name: 'Send result' }).click();
    await ui(page.locator('.msg.agent .answer').last()).toContainText('get_location: Lisbon');
    await screenshot(page, 'ui-client-tool');
  });

  it('cancels a running task with Stop, and the tool is aborted', async () => {
    await ask(page, 'run the slow job');
    await ui(page.locator('.msg.agent .answer').last()).toContainText('Starting the job.');
    await waitFor(() => ran.slowStarted === 1, 'the slow tool to start');
    await ui(page.locator('#stop')).toBeVisible();
    await page.locator('#stop').click();
    await ui(page.locator('.msg.agent .task-head .badge').last()).toHaveText('canceled');
    await ui(page.locator('.msg.agent').last()).toContainText('Canceled.');
    await waitFor(() => ran.slowAborted === 1, 'the slow tool to see the abort');
    const id = await page.locator('.msg.agent').last().getAttribute('data-task-id');
    const task = await agent.server.runtime.getTask(id!, undefined);
    expect(task.status.state).toBe('TASK_STATE_CANCELED');
    await screenshot(page, 'ui-cancel');
  });

  it('shows which agent two handoffs down asks for approval, the handoff tree, and routes the answer back', async () => {
    const chained = await openUi(browser, `${relay.url}/ui/`);
    try {
      await ask(chained, 'What is the weather in Oakland?');
      const card = chained.locator('.tool-card[data-tool="get_weather"]');
      await ui(card.locator('.tool-chain')).toHaveText(
        'Asked by Guarded Weather (via Middle → Guarded Weather)',
      );
      await ui(card.locator('dl.args')).toContainText('Oakland');
      // The tree: Relay → Middle → Guarded Weather, each waiting for the user.
      const middleNode = chained.locator('.handoff-node[data-agent="Middle"]');
      const bottom = middleNode.locator('.handoff-node[data-agent="Guarded Weather"]');
      await ui(bottom.locator('.badge')).toHaveText('input required');
      await screenshot(chained, 'ui-handoff-approval');
      await card.getByRole('button', { name: 'Approve', exact: true }).click();
      await ui(chained.locator('.msg.agent .answer').last()).toContainText('18°C, fog in Oakland');
      await ui(chained.locator('.msg.agent .task-head .badge')).toHaveText('completed');
      await ui(bottom.locator('.badge')).toHaveText('completed');
      await ui(middleNode.locator(':scope > .handoff-line .badge')).toHaveText('completed');
      await ui(middleNode.locator(':scope > .handoff-text')).toContainText('18°C');
      expect(ran.weather).toEqual(['Oakland']);
    } finally {
      await chained.context().close();
    }
  });

  it('keeps several conversations; shows data and file artifacts, with the file to download', async () => {
    await page.locator('#connect-url').fill(reports.url);
    await page.locator('#connect-url').press('Enter');
    const card = page.locator(`.agent-card[data-url="${reports.url}"]`);
    await card.getByRole('button', { name: 'Chat with Reports Agent' }).click();
    await ask(page, 'the quarter');
    const answer = page.locator('.msg.agent').last();
    await ui(answer.locator('.task-head .badge')).toHaveText('completed');
    await ui(answer.locator('pre.data')).toContainText('"total": 42');
    await ui(answer.locator('.answer')).toContainText('Report for: the quarter');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      answer.getByRole('link', { name: 'Download report.txt' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('report.txt');
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello file\n');
    await screenshot(page, 'ui-files');

    // Two conversations now, each with its own agent and transcript.
    await ui(page.locator('.conv')).toHaveCount(2);
    await page.locator('.conv', { hasText: 'delete /tmp/a.txt' }).locator('.conv-open').click();
    await ui(page.locator('#chat-head')).toContainText('Files Agent');
    await ui(page.locator('.msg.agent .answer')).toContainText('deleted /tmp/a.txt');
    await ui(page.locator('.msg.agent .answer')).notToContainText('Report for');
    await page.locator('.conv', { hasText: 'the quarter' }).locator('.conv-open').click();
    await ui(page.locator('#chat-head')).toContainText('Reports Agent');

    // The task view: the status message on the timeline, the artifacts.
    await answer.locator('button.details').click();
    const detail = page.locator('#task-detail .detail');
    await ui(detail.locator('.timeline')).toContainText('Collecting the numbers');
    await ui(detail.locator('.timeline')).toContainText('completed');
    await ui(detail).toContainText('Download report.txt');
  });

  it('shows a question asked down a handoff chain, and the typed answer goes back to that agent', async () => {
    const asker = new A2AServer({ ...createTestAgent('Name Agent').agent, store: 'memory' });
    const { url } = await asker.listen({ port: 0 });
    const front = new Agent({
      name: 'Front Desk',
      description: 'Passes questions on',
      environment: new Environment({
        name: 'front',
        systemPrompt: 'Hand off.',
        handoff: { agents: [{ url, name: 'Name Agent' }] },
      }),
      model: ScriptedModel.demo(),
      store: 'memory',
    });
    await front.listen({ port: 0 });
    const asking = await openUi(browser, `${front.url}/ui/`);
    try {
      await ask(asking, 'ask');
      const question = asking.locator('.question');
      await ui(question.locator('.asker')).toContainText('Name Agent asks');
      await ui(question).toContainText('What is your name?');
      await ui(asking.locator('.msg.agent .task-head .badge')).toHaveText('input required');
      await ask(asking, 'Ada');
      await ui(asking.locator('.msg.agent .answer')).toContainText('Hello, Ada');
      await ui(asking.locator('.msg.agent .task-head .badge')).toHaveText('completed');
      await ui(asking.locator('.msg.agent .note')).toContainText('You answered: Ada');
      await screenshot(asking, 'ui-question');
    } finally {
      await asking.context().close();
      await front.close();
      await asker.close();
    }
  });

  it('reopens a conversation that waits for approval after a reload, and the approval still works', async () => {
    const fresh = await openUi(browser, `${agent.url}/ui/`);
    try {
      await ask(fresh, 'delete /tmp/later.txt');
      await ui(fresh.locator('.tool-card[data-tool="delete_file"]')).toContainText('/tmp/later.txt');
      await fresh.reload();
      await fresh.locator('body[data-ready="true"]').waitFor();
      const card = fresh.locator('.tool-card[data-tool="delete_file"]');
      await ui(card).toContainText('/tmp/later.txt');
      await ui(fresh.locator('.msg.user')).toHaveText('delete /tmp/later.txt');
      await card.getByRole('button', { name: 'Approve', exact: true }).click();
      await ui(fresh.locator('.msg.agent .answer')).toContainText('deleted /tmp/later.txt');
      expect(ran.deleted).toContain('/tmp/later.txt');
      await screenshot(fresh, 'ui-reopen-approval');
    } finally {
      await fresh.context().close();
    }
  });

  it('follows a task still running after a reload, and Stop cancels it', async () => {
    const fresh = await openUi(browser, `${agent.url}/ui/`);
    try {
      const started = ran.slowStarted;
      const aborted = ran.slowAborted;
      await ask(fresh, 'slow again');
      await waitFor(() => ran.slowStarted === started + 1, 'the slow tool to start');
      await fresh.reload();
      await fresh.locator('body[data-ready="true"]').waitFor();
      await ui(fresh.locator('.msg.agent .task-head .badge')).toHaveText('working');
      await ui(fresh.locator('#stop')).toBeVisible();
      await fresh.locator('#stop').click();
      await ui(fresh.locator('.msg.agent .task-head .badge')).toHaveText('canceled');
      await waitFor(() => ran.slowAborted === aborted + 1, 'the slow tool to see the abort');
      await ui(fresh.locator('#stop')).toBeHidden();
      await screenshot(fresh, 'ui-follow');
    } finally {
      await fresh.context().close();
    }
  });
});
