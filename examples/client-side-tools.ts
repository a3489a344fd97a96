/**
 * Client-side tools with `runTask`: the agent's model decides to call a tool, and this client runs it
 * (the Python Timestep client's flow: the task stops `input-required` with `tool_calls`, the client
 * sends `tool_results` back on the same task, until the task completes).
 *
 *   npx tsx examples/client-side-tools.ts
 *
 * It starts a weather assistant that leaves every tool call to its client (`toolExecution: 'client'`),
 * then asks it a question with a local `get_weather`.
 */
import { pathToFileURL } from 'node:url';
import { A2AClient, Agent, runTask, taskText, weatherEnvironment } from 'timestep';

/** Ask an agent a question, running its tool calls here: `get_weather` locally, anything else refused. */
export async function askWithLocalTools(agentUrl: string, question: string): Promise<string> {
  const client = await A2AClient.connect(agentUrl);
  const result = await runTask(client, question, {
    tools: {
      get_weather: ({ city }) => ({
        city: String(city),
        temperature: '21°C',
        conditions: 'clear (local sensor)',
      }),
    },
    approve: (call) => ({ approved: false, reason: `this client does not allow ${call.name}` }),
    onEvent: (event) => {
      if (event.type === 'tool_result') process.stdout.write(`ran ${event.call.name}: ${event.output}\n`);
    },
  });
  return 'status' in result
    ? taskText(result)
    : result.parts.map((p) => ('text' in p ? p.text : '')).join('');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const agent = new Agent({
    name: 'Weather Assistant',
    description: 'Current weather, measured by its client',
    environment: weatherEnvironment(),
    toolExecution: 'client',
    store: 'memory',
  });
  const { url } = await agent.listen({ port: 0 });
  try {
    process.stdout.write(`${await askWithLocalTools(url, 'What is the weather in Oakland?')}\n`);
  } finally {
    await agent.close();
  }
}
