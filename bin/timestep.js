#!/usr/bin/env node
// `timestep serve agent.ts` loads TypeScript directly; other commands skip the loader's start-up cost.
if (process.argv.slice(2).some((arg) => /\.[cm]?tsx?$/.test(arg))) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('../dist/cli/main.js');
