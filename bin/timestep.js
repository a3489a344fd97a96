#!/usr/bin/env node
// Lets `timestep serve agent.ts` load TypeScript modules directly.
import { register } from 'tsx/esm/api';

register();
await import('../dist/cli/main.js');
