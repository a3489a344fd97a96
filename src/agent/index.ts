/**
 * `Agent`: an A2A server whose worker is a Loop over an Environment.
 *
 * @module
 */
export { Agent, type AgentOptions, type ListeningAgent } from './agent.js';
