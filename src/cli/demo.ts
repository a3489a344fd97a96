/**
 * `timestep demo` (`npm start`): the demo agents on localhost (DESIGN §4). A Weather Assistant
 * (a `get_weather` tool, handoff off) and a Personal Assistant that hands weather questions off to it
 * over A2A, both on the embedded defaults (SQLite under `.timestep/`). Without `OPENAI_API_KEY` they
 * run on the deterministic scripted model, and say so.
 *
 * Ports: `TIMESTEP_DEMO_WEATHER_PORT` (default 10000) and `TIMESTEP_DEMO_PERSONAL_PORT` (default 9999).
 *
 * @module
 */
import {
  createPersonalAssistant,
  createWeatherAssistant,
  PERSONAL_ASSISTANT_PORT,
  WEATHER_ASSISTANT_PORT,
} from '../agent/demo-agents.js';
import { modelFromEnv } from '../models/from-env.js';
import type { StoreSpec } from '../stores/open.js';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number from 0 to 65535, not '${raw}'.`);
  }
  return port;
}

/**
 * Start the demo; resolves with the running agents (each has `close()`). Tasks go to SQLite under
 * `.timestep/` unless `store` says otherwise (tests pass `'memory'`).
 */
export async function runDemo(
  options: { store?: StoreSpec } = {},
): Promise<Array<{ close(): Promise<void> }>> {
  const weatherPort = portFromEnv('TIMESTEP_DEMO_WEATHER_PORT', WEATHER_ASSISTANT_PORT);
  const personalPort = portFromEnv('TIMESTEP_DEMO_PERSONAL_PORT', PERSONAL_ASSISTANT_PORT);
  const { model, description } = modelFromEnv();
  const store = options.store ? { store: options.store } : {};
  const weather = createWeatherAssistant({ model, ...store });
  const { url: weatherUrl } = await weather.listen({ port: weatherPort });
  const personal = createPersonalAssistant({ model, weatherUrl, ...store });
  let personalUrl: string;
  try {
    ({ url: personalUrl } = await personal.listen({ port: personalPort }));
  } catch (error) {
    await weather.close();
    throw error;
  }
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out('Timestep demo');
  out(`  Weather Assistant    ${weatherUrl}   (card: ${weatherUrl}/.well-known/agent-card.json)`);
  out(`  Personal Assistant   ${personalUrl}    (hands weather questions off to the Weather Assistant)`);
  if (model.name === 'scripted') {
    out('  Model: the scripted offline model (deterministic rules, no API key needed).');
    out('  To use OpenAI: OPENAI_API_KEY=sk-… npm start (optionally TIMESTEP_MODEL, OPENAI_BASE_URL).');
  } else {
    out(`  Model: ${description}`);
  }
  out(`  Web UI               ${personalUrl}/ui   ${weatherUrl}/ui`);
  out('  Tasks are kept in .timestep/. Press Ctrl-C to stop.');
  out();
  out('Try it (a message id is used once: resending one returns the task it created):');
  out(
    `  curl -s ${personalUrl}/message:send -H 'A2A-Version: 1.0' -H 'Content-Type: application/json' \\\n` +
      `    -d '{"message":{"messageId":"'$(date +%s%N)'","role":"ROLE_USER","parts":[{"text":"What is the weather in Oakland?"}]}}'`,
  );
  out(`  npx timestep chat ${personalUrl}`);
  return [personal, weather];
}
