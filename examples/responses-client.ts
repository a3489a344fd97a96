/**
 * Talk to a Timestep agent with the official `openai` client: every agent serves the OpenAI
 * Responses API at `<agent url>/v1`.
 *
 *   npm start                                  # the demo: personal assistant on 127.0.0.1:9999
 *   npx tsx examples/responses-client.ts       # in another terminal
 *   AGENT_URL=http://127.0.0.1:10000 npx tsx examples/responses-client.ts   # the weather assistant
 */
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';

/** Ask the agent at `agentUrl` two questions in one conversation, the second one streamed. */
export async function askAgent(agentUrl: string, write: (text: string) => void): Promise<void> {
  const client = new OpenAI({ baseURL: `${agentUrl}/v1`, apiKey: process.env.AGENT_API_KEY ?? 'unused' });
  // The agent is the model: /v1/models lists it (any model name is accepted, the agent answers).
  const { data } = await client.models.list();
  const model = data[0]?.id ?? 'agent';

  const first = await client.responses.create({ model, input: 'What is the weather in Oakland?' });
  write(`${first.output_text}\n`);

  // previous_response_id continues the same conversation (the same A2A context underneath).
  const stream = client.responses.stream({ model, input: 'And in Paris?', previous_response_id: first.id });
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta') write(event.delta);
  }
  write('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await askAgent(process.env.AGENT_URL ?? 'http://127.0.0.1:9999', (text) => process.stdout.write(text));
}
