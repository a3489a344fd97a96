/**
 * The two demo agents (DESIGN §4): a weather assistant (handoff off) and a personal assistant that
 * hands weather questions off to it over A2A. `timestep demo` runs both; `examples/` shows them.
 *
 * @module
 */

import { z } from 'zod';
import { Environment } from '../environment/environment.js';
import { tool } from '../environment/tool.js';
import type { Model } from '../models/model.js';
import type { StoreSpec } from '../stores/open.js';
import { Agent } from './agent.js';

/** Default port of the weather assistant. */
export const WEATHER_ASSISTANT_PORT = 10000;
/** Default port of the personal assistant. */
export const PERSONAL_ASSISTANT_PORT = 9999;

/** Options of the demo agent factories. */
export interface DemoAgentOptions {
  /** The model (default: `modelFromEnv().model`). */
  model?: Model;
  /** Where tasks live (default: SQLite under `.timestep/`). */
  store?: StoreSpec;
}

const CONDITIONS = ['fog', 'sunny', 'partly cloudy', 'light rain', 'windy'];

/**
 * Made-up, deterministic weather for a city: the same city always gets the same answer
 * (Oakland: 18°C and fog).
 */
export function demoWeather(city: string): { city: string; temperature: string; conditions: string } {
  let sum = 0;
  for (const char of city.trim().toLowerCase()) sum += char.codePointAt(0) ?? 0;
  return { city, temperature: `${8 + (sum % 20)}°C`, conditions: CONDITIONS[sum % CONDITIONS.length]! };
}

/** The weather assistant's Environment: a `get_weather` tool, no handoff. */
export function weatherEnvironment(): Environment {
  return new Environment({
    name: 'weather-assistant',
    systemPrompt: (agentName) =>
      `You are ${agentName}. Answer questions about the current weather; use get_weather for every city asked about.`,
    handoff: false,
    tools: [
      tool({
        name: 'get_weather',
        description: 'Current weather for a city: temperature and conditions.',
        parameters: z.object({ city: z.string().describe('City name, e.g. Oakland') }),
        execute: ({ city }) => demoWeather(city),
        annotations: { title: 'Get weather', readOnlyHint: true },
      }),
    ],
  });
}

/** The weather assistant: answers weather questions with its `get_weather` tool. */
export function createWeatherAssistant(options: DemoAgentOptions = {}): Agent {
  return new Agent({
    name: 'Weather Assistant',
    description: 'Current weather for any city',
    skills: [
      {
        name: 'Weather',
        description: 'Current temperature and conditions for a city',
        examples: ['What is the weather in Oakland?'],
      },
    ],
    environment: weatherEnvironment(),
    ...(options.model ? { model: options.model } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
}

/** The personal assistant's Environment: no tools of its own, handoff to the weather assistant. */
export function personalEnvironment(weatherUrl: string): Environment {
  return new Environment({
    name: 'personal-assistant',
    systemPrompt: (agentName) =>
      `You are ${agentName}, a helpful personal assistant. Hand weather questions off to the Weather Assistant.`,
    handoff: {
      agents: [
        {
          url: weatherUrl,
          name: 'Weather Assistant',
          description: 'Current weather for any city',
          skills: ['weather'],
        },
      ],
    },
  });
}

/** The personal assistant: hands weather questions off to the weather assistant at `weatherUrl`. */
export function createPersonalAssistant(options: DemoAgentOptions & { weatherUrl?: string } = {}): Agent {
  return new Agent({
    name: 'Personal Assistant',
    description: 'A helpful personal assistant that asks specialist agents when it needs to',
    skills: [
      {
        name: 'Assistant',
        description: 'Answers questions, handing weather questions off to the Weather Assistant',
        examples: ['What is the weather in Oakland?'],
      },
    ],
    environment: personalEnvironment(options.weatherUrl ?? `http://127.0.0.1:${WEATHER_ASSISTANT_PORT}`),
    ...(options.model ? { model: options.model } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
}
