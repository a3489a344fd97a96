/**
 * One response = one A2A turn: send the user message through the in-process task runtime, feed the
 * turn's events to a {@link ResponseBuilder}, and finish the response from the task as stored.
 *
 * @module
 */
import type { A2AError } from '../a2a/errors.js';
import type { TaskEvent } from '../a2a/runtime/event-bus.js';
import { newId } from '../a2a/runtime/hot.js';
import type { CallContext, EventSink, TaskRuntime } from '../a2a/runtime/runtime.js';
import { isInterrupted, isTerminal, type Message } from '../a2a/types.js';
import { toResponsesError } from './errors.js';
import type { ResponseEventStream } from './http.js';
import { responseId } from './ids.js';
import type { ResponseBuilder } from './output.js';
import type { ResponseObject } from './types.js';

/** What a turn needs. */
export interface ResponseTurn {
  runtime: TaskRuntime;
  call: CallContext;
  /** The user message (with `taskId` when it resumes a task waiting for input). */
  message: Message;
  /** Which turn of its task the message opens (1 for a new task). */
  turn: number;
  builder: ResponseBuilder;
  /** The caller's event stream, for `stream: true`. */
  stream: ResponseEventStream | undefined;
  /**
   * Whether to follow the turn to its end when a streaming caller goes away (so a stored response
   * still completes); otherwise the turn runs on unwatched.
   */
  followWhenGone: boolean;
  /** Called once the response has its id (the task exists), and again when it is final. */
  onResponse: (response: ResponseObject, task: { taskId: string; contextId: string }) => void;
}

type Outcome = { error?: A2AError; gone?: true };

/**
 * Run the turn; resolves with the final response, or `undefined` when a streaming caller went away
 * and the turn was not followed. Errors before the response started (an unknown or busy task, a
 * store failure) are thrown as {@link ResponsesError}s; a turn that breaks off later fails the
 * response (streamed), or is thrown too (not streamed).
 */
export async function runResponseTurn(options: ResponseTurn): Promise<ResponseObject | undefined> {
  const { runtime, call, message, turn, builder, stream } = options;
  let ids: { taskId: string; contextId: string } | undefined;
  let direct: Message | undefined;
  let finished!: (outcome: Outcome) => void;
  const ended = new Promise<Outcome>((resolve) => {
    finished = resolve;
  });
  const sink: EventSink = {
    event: (event: TaskEvent) => {
      const payload = event.payload;
      if ('message' in payload) {
        // A worker that answered without a task (the Loop never does): a response with no conversation.
        direct = payload.message;
        builder.start(`resp_${newId().replaceAll('-', '')}`);
        return;
      }
      if (!ids) {
        ids =
          'task' in payload
            ? { taskId: payload.task.id, contextId: payload.task.contextId }
            : 'statusUpdate' in payload
              ? payload.statusUpdate
              : payload.artifactUpdate;
        builder.start(responseId(ids.taskId, turn));
        options.onResponse(builder.response, { taskId: ids.taskId, contextId: ids.contextId });
      }
      if ('artifactUpdate' in payload) {
        const { artifact, append } = payload.artifactUpdate;
        builder.artifact(artifact.artifactId, artifact.parts, append === true);
      } else if (
        'task' in payload &&
        event.state &&
        (isTerminal(event.state) || isInterrupted(event.state))
      ) {
        builder.catchUp(payload.task);
      }
    },
    end: (error) => finished(error ? { error } : {}),
  };
  if (stream) {
    stream.onClose = () => {
      if (options.followWhenGone) return;
      // Nobody will read the response: stop following the task (it runs on, like any A2A task).
      sink.onClose?.();
      finished({ gone: true });
    };
  }
  await runtime.streamMessage({ message }, sink, call);
  const outcome = await ended;
  if (outcome.gone) return undefined;
  if (outcome.error) {
    // The turn broke off (not the agent failing its task, which is a failed response): a plain
    // answer is an HTTP error; a stream already under way ends with `error` and `response.failed`.
    if (!stream || !builder.started) throw toResponsesError(outcome.error);
    return builder.fail(outcome.error.message);
  }
  if (direct) {
    return builder.finish({
      id: '',
      contextId: direct.contextId ?? '',
      status: { state: 'TASK_STATE_COMPLETED' },
      artifacts: [{ artifactId: 'reply', parts: direct.parts }],
    });
  }
  // The turn's end is stored before it is published: the task has its final artifacts and usage.
  const task = await runtime.getTask(ids!.taskId, 0, call);
  const response = builder.finish(task);
  options.onResponse(response, { taskId: task.id, contextId: task.contextId });
  return response;
}
