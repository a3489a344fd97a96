/**
 * The web UI: static assets served at `/ui` by every agent and by `timestep ui`.
 *
 * @module
 */
export { serveUi, type UiAgent, type UiConfig, type UiOptions } from './serve.js';
