/**
 * Timestep: multi-agent systems on A2A and MCP.
 *
 * @module
 */
export * from './a2a/index.js';
export { type AddressPolicy, PushSender, type PushSenderOptions } from './a2a/push/index.js';
export {
  createPersonalAssistant,
  createWeatherAssistant,
  type DemoAgentOptions,
  demoWeather,
  PERSONAL_ASSISTANT_PORT,
  personalEnvironment,
  WEATHER_ASSISTANT_PORT,
  weatherEnvironment,
} from './agent/demo-agents.js';
export * from './agent/index.js';
export * from './environment/index.js';
export * from './loop/index.js';
export * from './models/index.js';
export * from './responses/index.js';
export * from './runner/index.js';
export * from './stores/index.js';
export { openStore, type StoreSpec } from './stores/open.js';
export * from './ui/index.js';
