/**
 * `timestep demo` (`npm start`): the demo agents on localhost. Until the Timestep agents land this
 * is the echo agent, served on the embedded defaults (SQLite under `.timestep/`).
 *
 * @module
 */
import { A2AServer } from '../a2a/server/server.js';

/** Start the demo; resolves with the running servers. */
export async function runDemo(port = Number(process.env.TIMESTEP_DEMO_PORT ?? 8000)): Promise<A2AServer[]> {
  const echo = new A2AServer({
    card: {
      name: 'Echo Agent',
      description: 'Answers every message with the text it received.',
      skills: [{ name: 'Echo', description: 'Repeats your message back to you.', examples: ['hello'] }],
    },
    worker: (ctx) => ctx.complete(`Echo: ${ctx.userText}`),
  });
  const { url } = await echo.listen({ port });
  process.stdout.write(`Timestep demo\n`);
  process.stdout.write(`  Echo Agent     ${url}   (card: ${url}/.well-known/agent-card.json)\n`);
  process.stdout.write(`  Tasks are kept in .timestep/echo-agent.db. Press Ctrl-C to stop.\n\n`);
  process.stdout.write(`Try it:\n`);
  process.stdout.write(
    `  curl -s ${url}/message:send -H 'A2A-Version: 1.0' -H 'Content-Type: application/json' \\\n` +
      `    -d '{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hello"}]}}'\n`,
  );
  return [echo];
}
