/**
 * A minimal Server-Sent Events reader over a fetch `Response` body.
 *
 * @module
 */

/** One SSE event. */
export interface SseFrame {
  /** The `event:` field (`message` when absent). */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
  /** The `id:` field, if the event had one. */
  id?: string;
}

/** Parse an SSE stream into frames. Comments (`: ping`) are skipped. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.indexOf('\n');
      while (newline !== -1) {
        let line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length > 0) {
            const frame: SseFrame = { event, data: data.join('\n') };
            if (id !== undefined) frame.id = id;
            yield frame;
          }
          event = 'message';
          data = [];
          id = undefined;
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          let value = colon === -1 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'data') data.push(value);
          else if (field === 'event') event = value;
          else if (field === 'id') id = value;
        }
        newline = buffer.indexOf('\n');
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}
