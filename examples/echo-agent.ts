/**
 * The smallest A2A agent: it answers every message with the text it got.
 *
 *   npx timestep serve examples/echo-agent.ts --port 8000
 *
 * or, from code:
 *
 *   const server = new A2AServer(echoAgent);
 *   await server.listen({ port: 8000 });
 */
import { defineAgent } from 'timestep';

const echoAgent = defineAgent({
  card: {
    name: 'Echo Agent',
    description: 'Answers every message with the text it received.',
    skills: [{ name: 'Echo', description: 'Repeats your message back to you.', examples: ['hello'] }],
  },
  worker: async (ctx) => {
    await ctx.complete(`Echo: ${ctx.userText}`);
  },
});

export default echoAgent;
