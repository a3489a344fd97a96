/**
 * The same echo agent on the official `@a2a-js/sdk` 1.3 server: Express, `DefaultRequestHandler`,
 * `InMemoryTaskStore` and the JSON-RPC Express handler, as the SDK's README wires them.
 */
import { randomUUID } from 'node:crypto';
import { AgentCard, type Task, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  type ExecutionEventBus,
  InMemoryTaskStore,
  type RequestContext,
} from '@a2a-js/sdk/server';

/** Publishes one completed Task with an echo artifact. */
export class EchoExecutor implements AgentExecutor {
  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const message = context.userMessage;
    let text = '';
    for (const part of message.parts) if (part.content?.$case === 'text') text += part.content.value;
    const task: Task = {
      id: context.taskId,
      contextId: context.contextId,
      status: {
        state: TaskState.TASK_STATE_COMPLETED,
        timestamp: new Date().toISOString(),
        message: undefined,
      },
      history: [message],
      artifacts: [
        {
          artifactId: randomUUID(),
          name: 'result',
          description: '',
          parts: [
            {
              content: { $case: 'text', value: `Echo: ${text}` },
              metadata: undefined,
              filename: '',
              mediaType: '',
            },
          ],
          metadata: undefined,
          extensions: [],
        },
      ],
      metadata: undefined,
    };
    bus.publish(AgentEvent.task(task));
  }

  cancelTask = async (): Promise<void> => {};
}

/** The SDK's request handler over an in-memory task store. */
export function sdkRequestHandler(url: string): DefaultRequestHandler {
  const card = AgentCard.fromJSON({
    name: 'Echo Agent',
    description: 'Answers every message with the text it received.',
    supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
    version: '1.0.0',
    capabilities: { streaming: true },
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [],
  });
  return new DefaultRequestHandler(card, new InMemoryTaskStore(), new EchoExecutor());
}
