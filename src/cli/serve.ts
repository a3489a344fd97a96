/**
 * `timestep serve <module>`: load an agent module and serve it.
 *
 * @module
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { A2AServer, type A2AServerOptions } from '../a2a/server/server.js';
import type { StoreSpec } from '../stores/open.js';

/** Options of `serve`. */
export interface ServeOptions {
  port: number;
  host: string;
  store?: string | undefined;
}

function isAgentOptions(value: unknown): value is A2AServerOptions {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.card === 'object' &&
    v.card !== null &&
    (typeof v.worker === 'function' || typeof v.worker === 'object')
  );
}

/**
 * Load an agent from a module: its default export (or `agent` export) must be agent options
 * (`defineAgent({...})`) or a worker function.
 */
export async function loadAgent(modulePath: string): Promise<A2AServerOptions> {
  const url = pathToFileURL(resolve(modulePath)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Could not load ${modulePath}: ${reason}`);
  }
  const exported = mod.default ?? mod.agent;
  if (isAgentOptions(exported)) return exported;
  if (typeof exported === 'function') {
    const name = modulePath.replace(/^.*\//, '').replace(/\.[cm]?[jt]s$/, '');
    return {
      card: { name, description: `Agent served from ${modulePath}.` },
      worker: exported as A2AServerOptions['worker'],
    };
  }
  throw new Error(
    `${modulePath} must export an agent: \`export default defineAgent({ card, worker })\` or a worker function.`,
  );
}

/** Serve an agent module until the process is stopped. */
export async function serve(modulePath: string, options: ServeOptions): Promise<A2AServer> {
  const agent = await loadAgent(modulePath);
  const server = new A2AServer({ ...agent, ...(options.store ? { store: options.store as StoreSpec } : {}) });
  const { url } = await server.listen({ port: options.port, host: options.host });
  process.stdout.write(`${server.card.name} is listening at ${url}\n`);
  process.stdout.write(`  agent card: ${url}/.well-known/agent-card.json\n`);
  return server;
}
