/**
 * The web UI in headless Chromium against the two-assistant demo: the card, a streamed answer that
 * came through a handoff, a second agent on another origin (CORS), the task view, and reopening the
 * conversation after a reload.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agent/agent.js';
import { createPersonalAssistant, createWeatherAssistant } from '../src/agent/demo-agents.js';
import { ScriptedModel } from '../src/models/scripted.js';
import { launchBrowser, openUi, screenshot, ui } from './helpers/ui.js';

describe('web UI on the demo', () => {
  let weather: Agent;
  let personal: Agent;
  let weatherUrl: string;
  let personalUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    weather = createWeatherAssistant({ model: ScriptedModel.demo(), store: 'memory' });
    ({ url: weatherUrl } = await weather.listen({ port: 0 }));
    personal = createPersonalAssistant({ model: ScriptedModel.demo(), store: 'memory', weatherUrl });
    ({ url: personalUrl } = await personal.listen({ port: 0 }));
    browser = await launchBrowser();
    page = await openUi(browser, `${personalUrl}/ui`);
  });
  afterAll(async () => {
    await browser?.close();
    await personal?.close();
    await weather?.close();
  });

  it("shows the serving agent's card: name, description, skills, capabilities", async () => {
    const card = page.locator('.agent-card').first();
    await ui(card.locator('h3')).toHaveText('Personal Assistant');
    await ui(card).toContainText('asks specialist agents');
    await ui(card.locator('.skills')).toContainText('Assistant');
    await ui(card.locator('.caps')).toContainText('streaming');
    await screenshot(page, 'ui-card');
  });

  it('connects to a second agent on another origin (CORS) and shows its card', async () => {
    await page.locator('#connect-url').fill(weatherUrl);
    await page.locator('#connect-form button').click();
    const card = page.locator(`.agent-card[data-url="${weatherUrl}"]`);
    await ui(card.locator('h3')).toHaveText('Weather Assistant');
    await ui(card).toContainText('What is the weather in Oakland?');
    await screenshot(page, 'ui-connect');
  });

  it('answers a weather question (Enter sends) and shows the handoff to the Weather Assistant', async () => {
    const input = page.locator('#input');
    await input.fill('What is the weather in Oakland?');
    await input.press('Enter');
    const answer = page.locator('.msg.agent .answer').last();
    await ui(answer).toContainText('18°C');
    await ui(answer).toContainText('Oakland');
    await ui(page.locator('.msg.agent .badge').first()).toHaveText('completed');
    const child = page.locator('.handoff-node[data-agent="Weather Assistant"]');
    await ui(child).toContainText('completed');
    await ui(child.locator('.handoff-text')).toContainText('18°C');
    await ui(page.locator('.msg.user')).toHaveText('What is the weather in Oakland?');
    await ui(input).toHaveValue('');
    await screenshot(page, 'ui-chat');
  });

  it('breaks the line on Shift+Enter instead of sending', async () => {
    const input = page.locator('#input');
    await input.fill('first line');
    await input.press('Shift+Enter');
    await input.pressSequentially('second line');
    await ui(input).toHaveValue('first line\nsecond line');
    await ui(page.locator('.msg.user')).toHaveCount(1);
    await screenshot(page, 'ui-shift-enter');
    await input.fill('');
  });

  it('lists tasks with filters and shows a task’s timeline and artifacts', async () => {
    await page.locator('.tab[data-view="tasks"]').click();
    await page.locator('#filter-agent').selectOption(personalUrl);
    await page.locator('#filter-state').selectOption('TASK_STATE_COMPLETED');
    const rows = page.locator('.task-row');
    await ui(rows).toHaveCount(1);
    await page.locator('#filter-state').selectOption('TASK_STATE_FAILED');
    await ui(page.locator('#task-list')).toContainText('No tasks match');
    await page.locator('#filter-state').selectOption('');
    await page.locator('#filter-context').fill('no-such-context');
    await page.locator('#task-filters button[type="submit"]').click();
    await ui(page.locator('#task-list')).toContainText('No tasks match');
    // The conversation's context button opens its tasks.
    await page.locator('.tab[data-view="chat"]').click();
    await page.locator('#chat-head button').click();
    const { tasks } = await personal.server.runtime.listTasks({});
    await ui(page.locator('#filter-context')).toHaveValue(tasks[0]!.contextId);
    await ui(rows).toHaveCount(1);
    await rows.first().locator('button').click();
    const detail = page.locator('#task-detail .detail');
    await ui(detail.locator('.timeline li').first()).toContainText('submitted');
    await ui(detail.locator('.timeline')).toContainText('completed');
    await ui(detail.locator('.artifact')).toContainText('18°C');
    await screenshot(page, 'ui-tasks');
  });

  it('reopens the conversation after a reload, from the agent’s tasks of its context', async () => {
    // Forget what this browser saw live: the handoff tree must come back from the task's history.
    await page.evaluate("localStorage.removeItem('timestep.ui.tasklog.v1')");
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator('.tab[data-view="chat"]').click();
    const conv = page.locator('.conv').first();
    await ui(conv).toContainText('What is the weather in Oakland?');
    await conv.locator('.conv-open').click();
    await ui(page.locator('.msg.user').first()).toHaveText('What is the weather in Oakland?');
    await ui(page.locator('.msg.agent .answer').first()).toContainText('18°C');
    const child = page.locator('.msg.agent').first().locator('.handoff-node[data-agent="Weather Assistant"]');
    await ui(child.locator('.handoff-text')).toContainText('18°C');
    // The conversation goes on in the same context.
    const contextId = await conv.getAttribute('data-context');
    expect(contextId).toBeTruthy();
    await page.locator('#input').fill('What is the weather in Paris?');
    await page.locator('#input').press('Enter');
    await ui(page.locator('.msg.agent .answer').last()).toContainText('Paris');
    const { tasks } = await personal.server.runtime.listTasks({ contextId: contextId! });
    expect(tasks).toHaveLength(2);
    await screenshot(page, 'ui-reopen');
  });
});
