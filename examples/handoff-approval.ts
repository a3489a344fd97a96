/**
 * An approval asked two agents down, answered at the top: the personal assistant hands a weather
 * question off to a weather assistant whose `get_weather` needs the user's approval. The weather
 * assistant's task stops `input-required`; so does the personal assistant's, with the call and the
 * chain of agents that asks. The client approves on the task it started, and the personal
 * assistant routes the approval down.
 *
 *   npx tsx examples/handoff-approval.ts
 */
import { pathToFileURL } from 'node:url';
import {
  A2AClient,
  Agent,
  demoWeather,
  Environment,
  personalEnvironment,
  runTask,
  taskText,
  tool,
} from 'timestep';
import { z } from 'zod';

/** A weather assistant whose `get_weather` runs only once the user approves it. */
export function guardedWeatherAssistant(): Agent {
  return new Agent({
    name: 'Guarded Weather',
    description: 'Current weather, after the user approves each lookup',
    environment: new Environment({
      name: 'guarded-weather',
      systemPrompt: (agentName) => `You are ${agentName}. Use get_weather for every city asked about.`,
      handoff: false,
      tools: [
        tool({
          name: 'get_weather',
          description: 'Current weather for a city.',
          parameters: z.object({ city: z.string() }),
          needsApproval: true,
          execute: ({ city }) => demoWeather(city),
        }),
      ],
    }),
    store: 'memory',
  });
}

/** Ask the personal assistant; approve (or not) the calls raised anywhere down the chain. */
export async function askWithApprovals(
  personalUrl: string,
  question: string,
  approve: boolean,
): Promise<{ answer: string; asked: string[] }> {
  const client = await A2AClient.connect(personalUrl);
  const asked: string[] = [];
  const result = await runTask(client, question, {
    approve: (call) => {
      // `chain` names the agents the call came through; the last one asks.
      const who = (call.chain ?? []).map((link) => link.agent_name).join(' → ') || client.card.name;
      asked.push(`${who} asks to run ${call.name}(${JSON.stringify(call.arguments)})`);
      return approve ? true : { approved: false, reason: 'not now' };
    },
  });
  const answer =
    'status' in result ? taskText(result) : result.parts.map((p) => ('text' in p ? p.text : '')).join('');
  return { answer, asked };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const weather = guardedWeatherAssistant();
  const { url: weatherUrl } = await weather.listen({ port: 0 });
  const personal = new Agent({
    name: 'Personal Assistant',
    description: 'Hands weather questions off',
    environment: personalEnvironment(weatherUrl),
    store: 'memory',
  });
  const { url } = await personal.listen({ port: 0 });
  try {
    const { answer, asked } = await askWithApprovals(url, 'What is the weather in Oakland?', true);
    for (const line of asked) process.stdout.write(`${line}: approved\n`);
    process.stdout.write(`${answer}\n`);
  } finally {
    await personal.close();
    await weather.close();
  }
}
