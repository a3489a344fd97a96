/**
 * The web UI and an agent that needs credentials: the error says how to give them, and a credential
 * typed beside the URL (a token, sent as a bearer token) is sent with every call, kept for the tab only.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth } from '../src/a2a/server/auth.js';
import { Agent } from '../src/agent/agent.js';
import { Environment } from '../src/environment/index.js';
import { ScriptedModel } from '../src/models/scripted.js';
import { launchBrowser, openUi, screenshot, ui } from './helpers/ui.js';

describe('web UI with an agent that needs credentials', () => {
  let agent: Agent;
  let url: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    agent = new Agent({
      name: 'Guarded',
      description: 'Answers callers with a token only',
      environment: new Environment({ name: 'guarded', systemPrompt: 'Be brief.', handoff: false }),
      model: new ScriptedModel({ rules: [], fallback: () => ({ text: 'Hello, Ada.' }) }),
      auth: bearerAuth({ verify: (token) => (token === 's3cret' ? { id: 'ada' } : undefined) }),
      store: 'memory',
    });
    ({ url } = await agent.listen({ port: 0 }));
    browser = await launchBrowser();
    page = await openUi(browser, `${url}/ui`);
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.close();
  });

  it('says how to give credentials when the agent refuses the call', async () => {
    await page.locator('#input').fill('Hi');
    await page.locator('#input').press('Enter');
    const error = page.locator('.error').last();
    await ui(error).toContainText('needs credentials');
    await ui(error).toContainText('box beside the URL');
    await screenshot(page, 'ui-auth-needed');
  });

  it('sends a credential typed beside the URL with every call, kept for this tab only', async () => {
    await page.locator('#connect-url').fill(url);
    await page.locator('#connect-credential').fill('s3cret');
    await page.locator('#connect-form button').click();
    await ui(page.locator('#connect-credential')).toHaveValue('');
    await page.locator('#input').fill('Hi again');
    await page.locator('#input').press('Enter');
    await ui(page.locator('.msg.agent .answer').last()).toContainText('Hello, Ada.');
    const { tasks } = await agent.server.runtime.listTasks(
      {},
      { principal: { id: 'ada', scheme: 'bearer' } },
    );
    expect(tasks.length).toBeGreaterThanOrEqual(1);
    const stored = await page.evaluate(
      '[sessionStorage.getItem("timestep.ui.credentials.v1"), JSON.stringify(localStorage)]',
    );
    const [session, local] = stored as [string, string];
    expect(session).toContain('s3cret');
    expect(local).not.toContain('s3cret');
    await screenshot(page, 'ui-auth');
  });
});
