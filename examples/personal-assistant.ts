/**
 * The personal assistant of the demo: an Agent whose Environment offers the built-in `handoff` tool,
 * allowed to hand off to the Weather Assistant at http://127.0.0.1:10000.
 *
 *   npx tsx examples/weather-assistant.ts      # first, in another terminal
 *   npx tsx examples/personal-assistant.ts     # listens on http://127.0.0.1:9999
 *
 * Its definition lives in `src/agent/demo-agents.ts`, so that `timestep demo` runs exactly this agent.
 */
import { pathToFileURL } from 'node:url';
import type { Agent, Model, StoreSpec } from 'timestep';
import { createPersonalAssistant, PERSONAL_ASSISTANT_PORT } from 'timestep';

export { createPersonalAssistant, personalEnvironment } from 'timestep';

/**
 * Start the personal assistant on 127.0.0.1 (default port 9999), handing off to the weather assistant
 * at `weatherUrl` (default `http://127.0.0.1:10000`); resolves with the running agent.
 */
export async function startPersonalAssistant(
  options: { port?: number; host?: string; model?: Model; store?: StoreSpec; weatherUrl?: string } = {},
): Promise<{ agent: Agent; url: string }> {
  const agent = createPersonalAssistant({
    ...(options.model ? { model: options.model } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.weatherUrl ? { weatherUrl: options.weatherUrl } : {}),
  });
  const { url } = await agent.listen({
    port: options.port ?? PERSONAL_ASSISTANT_PORT,
    host: options.host ?? '127.0.0.1',
  });
  return { agent, url };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { agent, url } = await startPersonalAssistant();
  process.stdout.write(`Personal Assistant at ${url} (model: ${agent.model.name})\n`);
}
