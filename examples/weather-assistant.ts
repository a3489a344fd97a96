/**
 * The weather assistant of the demo: an Agent whose Environment has one deterministic tool,
 * `get_weather({ city })`, and no handoff.
 *
 *   npx tsx examples/weather-assistant.ts      # listens on http://127.0.0.1:10000
 *
 * Its definition (Environment, tool, card) lives in `src/agent/demo-agents.ts`, so that
 * `timestep demo` runs exactly this agent.
 */
import { pathToFileURL } from 'node:url';
import type { Agent, Model, StoreSpec } from 'timestep';
import { createWeatherAssistant, WEATHER_ASSISTANT_PORT } from 'timestep';

export { createWeatherAssistant, demoWeather, weatherEnvironment } from 'timestep';

/** Start the weather assistant on 127.0.0.1 (default port 10000); resolves with the running agent. */
export async function startWeatherAssistant(
  options: { port?: number; host?: string; model?: Model; store?: StoreSpec } = {},
): Promise<{ agent: Agent; url: string }> {
  const agent = createWeatherAssistant({
    ...(options.model ? { model: options.model } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  const { url } = await agent.listen({
    port: options.port ?? WEATHER_ASSISTANT_PORT,
    host: options.host ?? '127.0.0.1',
  });
  return { agent, url };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { agent, url } = await startWeatherAssistant();
  process.stdout.write(`Weather Assistant at ${url} (model: ${agent.model.name})\n`);
}
