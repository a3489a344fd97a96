// A small browser-side A2A v1.0 client: the card, then JSON-RPC or REST (whichever the card lists
// first), with SSE read from fetch streams (EventSource cannot POST).

/** An error with what to do about it. */
export class A2AError extends Error {
  /**
   * @param {string} message what went wrong
   * @param {{ kind?: string, code?: number, status?: number, hint?: string }} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'A2AError';
    this.kind = info.kind;
    this.code = info.code;
    this.status = info.status;
    this.hint = info.hint;
  }
}

const RPC_KINDS = {
  '-32700': 'ParseError',
  '-32600': 'InvalidRequest',
  '-32601': 'MethodNotFound',
  '-32602': 'InvalidParams',
  '-32603': 'Internal',
  '-32001': 'TaskNotFound',
  '-32002': 'TaskNotCancelable',
  '-32003': 'PushNotificationNotSupported',
  '-32004': 'UnsupportedOperation',
  '-32005': 'ContentTypeNotSupported',
  '-32006': 'InvalidAgentResponse',
  '-32007': 'ExtendedAgentCardNotConfigured',
  '-32008': 'ExtensionSupportRequired',
  '-32009': 'VersionNotSupported',
  '-31401': 'Unauthenticated',
};

const HINTS = {
  TaskNotFound:
    'The task is not known to the agent (it may have restarted with a memory store). Start a new conversation.',
  TaskNotCancelable: 'The task already ended; there is nothing to cancel.',
  UnsupportedOperation:
    'The agent does not allow this here (for example a message to a task that already ended). Start a new message instead.',
  VersionNotSupported: 'The agent does not speak A2A 1.0; the web UI needs an A2A 1.0 agent.',
  Unauthenticated:
    'The agent needs credentials: connect to it again with a credential in the box beside the URL (a token, sent as `Authorization: Bearer <token>`, or a whole header such as `X-API-Key: <key>`).',
  Internal: "The agent failed while answering; check the agent's log.",
};

function errorFromBody(body, status) {
  // JSON-RPC: {code, message, data:[ErrorInfo]}; REST: {error:{code,status,message,details:[ErrorInfo]}}.
  if (body && typeof body.code === 'number') {
    const kind = status === 401 ? 'Unauthenticated' : (RPC_KINDS[String(body.code)] ?? 'Error');
    return new A2AError(body.message || kind, { kind, code: body.code, status, hint: HINTS[kind] });
  }
  const e = body?.error;
  if (e && typeof e === 'object') {
    const reason = (e.details ?? []).find((d) => d && typeof d.reason === 'string')?.reason;
    let kind = reason
      ? reason.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s, c) => c.toUpperCase())
      : e.status;
    if (status === 401) kind = 'Unauthenticated';
    return new A2AError(e.message || `HTTP ${status}`, { kind, code: e.code, status, hint: HINTS[kind] });
  }
  return new A2AError(`The agent answered HTTP ${status}.`, {
    status,
    hint: status === 401 ? HINTS.Unauthenticated : undefined,
  });
}

function unreachable(url, cause) {
  return new A2AError(`Could not reach ${url}${cause?.message ? ` (${cause.message})` : ''}.`, {
    kind: 'Network',
    hint: 'Check that the agent is running at that URL. If it is on another origin than this page, it must allow this page (Timestep agents allow loopback pages by default: see the `cors` option), or open the agent with `npx timestep ui <url>`.',
  });
}

/**
 * Read Server-Sent Events from a fetch response body.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<{ event: string, data: string, id?: string }>}
 */
export async function* readSse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  let event = 'message';
  let id;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let nl = buffer.search(/\r\n|\r|\n/);
      // A lone CR at the end may be the first half of a CRLF split across chunks: wait for more.
      while (nl !== -1 && !(nl === buffer.length - 1 && buffer[nl] === '\r')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n'), id };
          data = [];
          event = 'message';
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          let value = colon === -1 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'data') data.push(value);
          else if (field === 'event') event = value;
          else if (field === 'id') id = value;
        }
        nl = buffer.search(/\r\n|\r|\n/);
      }
    }
    if (data.length > 0) yield { event, data: data.join('\n'), id };
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** A new random id (message ids). */
export function newId() {
  return crypto.randomUUID();
}

/** Fetch an agent's v1.0 card. */
export async function fetchCard(baseUrl, signal) {
  const url = `${baseUrl.replace(/\/+$/, '')}/.well-known/agent-card.json`;
  let res;
  try {
    res = await fetch(url, { headers: { 'A2A-Version': '1.0', Accept: 'application/json' }, signal });
  } catch (err) {
    throw unreachable(baseUrl, err);
  }
  if (!res.ok) {
    throw new A2AError(`No agent card at ${url} (HTTP ${res.status}).`, {
      status: res.status,
      hint: 'Check the URL: it should be the agent’s base URL, e.g. http://127.0.0.1:9999.',
    });
  }
  try {
    return await res.json();
  } catch {
    throw new A2AError(`The agent card at ${url} is not JSON.`, {
      hint: 'Check the URL points at an A2A agent.',
    });
  }
}

/**
 * A credential as typed by a person: `Name: value` is that header; anything else is a token, sent as
 * `Authorization: Bearer <token>`.
 */
export function credentialHeaders(credential) {
  const text = String(credential ?? '').trim();
  if (!text) return {};
  const match = /^([A-Za-z0-9-]+):\s*(.+)$/.exec(text);
  if (match && !/^bearer$/i.test(match[1])) return { [match[1]]: match[2] };
  return { Authorization: `Bearer ${text.replace(/^bearer\s+/i, '')}` };
}

/** A connection to one A2A 1.0 agent. */
export class AgentClient {
  /**
   * @param {string} baseUrl the URL the page talks to
   * @param {object} card the agent card
   * @param {{ target?: string, headers?: Record<string, string> }} [options] `target`: the agent's
   *   real URL when `baseUrl` proxies it; `headers`: sent with every call (credentials)
   */
  constructor(baseUrl, card, options = {}) {
    this.headers = options.headers ?? {};
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.card = card;
    const interfaces = (card.supportedInterfaces ?? []).filter(
      (i) =>
        /^1\./.test(String(i.protocolVersion ?? '')) &&
        (i.protocolBinding === 'JSONRPC' || i.protocolBinding === 'HTTP+JSON'),
    );
    const chosen = interfaces[0];
    if (!chosen) {
      throw new A2AError(`${card.name ?? 'This agent'} offers no A2A 1.0 JSON-RPC or REST interface.`, {
        kind: 'VersionNotSupported',
        hint: 'The web UI speaks A2A 1.0 only; use `timestep chat <url>` for A2A 0.3 agents.',
      });
    }
    this.binding = chosen.protocolBinding === 'JSONRPC' ? 'jsonrpc' : 'rest';
    this.tenant = chosen.tenant;
    let endpoint = String(chosen.url).replace(/\/+$/, '');
    const target = options.target?.replace(/\/+$/, '');
    if (target && endpoint.startsWith(target)) endpoint = this.baseUrl + endpoint.slice(target.length);
    else if (
      !target &&
      isLoopback(endpoint) &&
      isLoopback(this.baseUrl) &&
      samePort(endpoint, this.baseUrl)
    ) {
      // An agent on this machine may call itself 127.0.0.1 while the page was opened as localhost:
      // talk to it the way the page reached it.
      endpoint = new URL(this.baseUrl, location.href).origin + new URL(endpoint).pathname.replace(/\/+$/, '');
    }
    this.endpoint = new URL(endpoint || '/', location.href).href.replace(/\/+$/, '');
    this.rpcId = 0;
  }

  /** Fetch the card at `url` and connect. */
  static async connect(url, options = {}) {
    const card = await fetchCard(url, options.signal);
    return new AgentClient(url, card, options);
  }

  async #fetch(url, init) {
    const headers = { 'A2A-Version': '1.0', ...this.headers, ...init.headers };
    try {
      return await fetch(url, { ...init, headers });
    } catch (err) {
      if (err?.name === 'AbortError') throw err;
      throw unreachable(this.baseUrl, err);
    }
  }

  async #rpc(method, params, signal) {
    const res = await this.#fetch(this.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.rpcId, method, params: this.#withTenant(params) }),
      signal,
    });
    const body = await res.json().catch(() => undefined);
    if (!body) throw errorFromBody(undefined, res.status);
    if (body.error) throw errorFromBody(body.error, res.status);
    return body.result;
  }

  #withTenant(params) {
    return this.tenant ? { ...params, tenant: this.tenant } : params;
  }

  #restUrl(path, query) {
    const prefix = this.tenant ? `/${encodeURIComponent(this.tenant)}` : '';
    const qs = query
      ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== '')).toString()
      : '';
    return `${this.endpoint}${prefix}${path}${qs ? `?${qs}` : ''}`;
  }

  async #rest(method, path, { body, query, signal } = {}) {
    const res = await this.#fetch(this.#restUrl(path, query), {
      method,
      headers: body
        ? { 'Content-Type': 'application/json', Accept: 'application/json' }
        : { Accept: 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
      signal,
    });
    const json = await res.json().catch(() => undefined);
    if (!res.ok) throw errorFromBody(json, res.status);
    return json;
  }

  /** Open a stream; yields StreamResponse objects (`{task}`, `{statusUpdate}`, `{artifactUpdate}`, `{message}`). */
  async *#stream(rpcMethod, params, restPath, restBody, signal) {
    const res =
      this.binding === 'jsonrpc'
        ? await this.#fetch(this.endpoint, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
            body: JSON.stringify({
              jsonrpc: '2.0',
              id: ++this.rpcId,
              method: rpcMethod,
              params: this.#withTenant(params),
            }),
            signal,
          })
        : await this.#fetch(this.#restUrl(restPath), {
            method: 'POST',
            headers: restBody
              ? { 'Content-Type': 'application/json', Accept: 'text/event-stream' }
              : { Accept: 'text/event-stream' },
            body: restBody ? JSON.stringify(restBody) : undefined,
            signal,
          });
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream')) {
      // Refused before the stream started: an ordinary error answer.
      const body = await res.json().catch(() => undefined);
      throw errorFromBody(this.binding === 'jsonrpc' ? (body?.error ?? body) : body, res.status);
    }
    for await (const event of readSse(res.body)) {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        throw new A2AError('The agent sent an event that is not JSON.', { kind: 'InvalidAgentResponse' });
      }
      if (this.binding === 'jsonrpc') {
        if (data.error) throw errorFromBody(data.error, res.status);
        yield data.result;
      } else {
        if (event.event === 'error' || data.error) throw errorFromBody(data, res.status);
        yield data;
      }
    }
  }

  /** `SendStreamingMessage`. */
  sendStream(message, { signal, metadata } = {}) {
    const params = { message, ...(metadata ? { metadata } : {}) };
    return this.#stream('SendStreamingMessage', params, '/message:stream', params, signal);
  }

  /** `SubscribeToTask`. */
  subscribe(id, { signal } = {}) {
    return this.#stream(
      'SubscribeToTask',
      { id },
      `/tasks/${encodeURIComponent(id)}:subscribe`,
      undefined,
      signal,
    );
  }

  /** `GetTask`. */
  getTask(id, { historyLength, signal } = {}) {
    if (this.binding === 'jsonrpc')
      return this.#rpc('GetTask', { id, ...(historyLength !== undefined ? { historyLength } : {}) }, signal);
    return this.#rest('GET', `/tasks/${encodeURIComponent(id)}`, { query: { historyLength }, signal });
  }

  /** `ListTasks` (`{contextId?, status?, pageSize?, pageToken?, includeArtifacts?, historyLength?}`). */
  listTasks(params = {}, { signal } = {}) {
    if (this.binding === 'jsonrpc') return this.#rpc('ListTasks', params, signal);
    return this.#rest('GET', '/tasks', { query: params, signal });
  }

  /** `CancelTask`. */
  cancel(id, { signal } = {}) {
    if (this.binding === 'jsonrpc') return this.#rpc('CancelTask', { id }, signal);
    return this.#rest('POST', `/tasks/${encodeURIComponent(id)}:cancel`, { signal });
  }
}

function isLoopback(url) {
  try {
    return /^(127\.0\.0\.1|localhost|\[::1\])$/.test(new URL(url, location.href).hostname);
  } catch {
    return false;
  }
}

function samePort(a, b) {
  return new URL(a, location.href).port === new URL(b, location.href).port;
}

/** Terminal states: nothing changes after them. */
export const TERMINAL = new Set([
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
]);

/** `TASK_STATE_INPUT_REQUIRED` → `input required`. */
export function stateLabel(state) {
  return String(state ?? 'unknown')
    .replace(/^TASK_STATE_/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}
