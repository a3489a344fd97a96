import { TaskState } from '@a2a-js/sdk';
import { type Client, ClientFactory } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Agent } from '../src/agent/agent.js';
import { createPersonalAssistant, createWeatherAssistant, demoWeather } from '../src/agent/demo-agents.js';
import { runDemo } from '../src/cli/demo.js';
import { ScriptedModel } from '../src/models/scripted.js';
import { freePort } from './helpers/http.js';
import { artifactText, asTask, send } from './helpers/v1-suite.js';

describe('demo: personal assistant hands off to the weather assistant over A2A', () => {
  let weather: Agent;
  let personal: Agent;
  let client: Client;

  beforeAll(async () => {
    weather = createWeatherAssistant({ model: ScriptedModel.demo(), store: 'memory' });
    const { url: weatherUrl } = await weather.listen({ port: 0 });
    personal = createPersonalAssistant({ model: ScriptedModel.demo(), store: 'memory', weatherUrl });
    const { url } = await personal.listen({ port: 0 });
    client = await new ClientFactory().createFromUrl(url);
  });
  afterAll(async () => {
    await personal?.close();
    await weather?.close();
  });

  it('gives Oakland a deterministic forecast', () => {
    expect(demoWeather('Oakland')).toEqual({ city: 'Oakland', temperature: '18°C', conditions: 'fog' });
    expect(demoWeather('Oakland')).toEqual(demoWeather('Oakland'));
    expect(demoWeather('Paris')).not.toEqual(demoWeather('Oakland'));
  });

  it('answers a weather question through a handoff, and the weather agent really got a task', async () => {
    const task = asTask(await client.sendMessage(send('What is the weather in Oakland?')));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const text = artifactText(task);
    expect(text).toContain('Oakland');
    expect(text).toContain('18°C');

    const { tasks } = await weather.server.runtime.listTasks({});
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.status.state).toBe('TASK_STATE_COMPLETED');
    expect(tasks[0]?.history?.[0]?.parts).toEqual([{ text: 'What is the weather in Oakland?' }]);
  });

  it('continues the same target context on a second handoff in the same conversation', async () => {
    const first = asTask(await client.sendMessage(send('What is the weather in Lisbon?')));
    const second = asTask(
      await client.sendMessage(send('And what is the weather in Paris?', { contextId: first.contextId })),
    );
    expect(second.contextId).toBe(first.contextId);
    expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(second)).toContain('Paris');

    const { tasks } = await weather.server.runtime.listTasks({});
    const lisbon = tasks.find((t) =>
      t.history?.[0]?.parts.some((p) => 'text' in p && p.text.includes('Lisbon')),
    );
    const paris = tasks.find((t) =>
      t.history?.[0]?.parts.some((p) => 'text' in p && p.text.includes('Paris')),
    );
    expect(lisbon).toBeDefined();
    expect(paris).toBeDefined();
    expect(paris?.contextId).toBe(lisbon?.contextId);
    expect(paris?.id).not.toBe(lisbon?.id);
    // A new conversation with the personal assistant gets a new conversation with the weather agent.
    const oakland = tasks.find((t) =>
      t.history?.[0]?.parts.some((p) => 'text' in p && p.text.includes('Oakland')),
    );
    expect(oakland?.contextId).not.toBe(lisbon?.contextId);
  });
});

describe('timestep demo', () => {
  it('starts both assistants on the ports from the environment and prints how to try them', async () => {
    const weatherPort = await freePort();
    const personalPort = await freePort();
    vi.stubEnv('TIMESTEP_DEMO_WEATHER_PORT', String(weatherPort));
    vi.stubEnv('TIMESTEP_DEMO_PERSONAL_PORT', String(personalPort));
    vi.stubEnv('OPENAI_API_KEY', '');
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let agents: Array<{ close(): Promise<void> }> = [];
    try {
      // Memory: the suite must not write into the working directory's .timestep/.
      agents = await runDemo({ store: 'memory' });
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    try {
      const output = lines.join('');
      expect(output).toContain(`http://127.0.0.1:${weatherPort}`);
      expect(output).toContain(`http://127.0.0.1:${personalPort}`);
      expect(output).toContain('scripted');
      expect(output).toContain('What is the weather in Oakland?');
      const client = await new ClientFactory().createFromUrl(`http://127.0.0.1:${personalPort}`);
      const task = asTask(await client.sendMessage(send('What is the weather in Oakland?')));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(task)).toContain('Oakland');
    } finally {
      await Promise.all(agents.map((a) => a.close()));
    }
  });
});
