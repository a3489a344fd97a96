// DOM helpers and the pieces every view shows: parts, artifacts, tool calls, handoff trees, errors.
import { stateLabel } from './a2a.js';

/**
 * Create an element: `h('div.a.b', { onclick, title }, child, …)`. Strings become text nodes (never HTML).
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length > 0) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = undefined;
  }
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && key !== 'list' && key !== 'form') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** `12:03:04.120`. */
export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** `2 min ago`, for lists. */
export function fmtAgo(iso) {
  const ms = Date.now() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '';
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** First 8 characters of an id. */
export function short(id) {
  return String(id ?? '').slice(0, 8);
}

/** A state badge. */
export function stateBadge(state) {
  const label = stateLabel(state);
  return h(`span.badge.state-${label.replace(/ /g, '-')}`, { title: state }, label);
}

/** The text parts of a message, joined. */
export function textOf(message) {
  return (message?.parts ?? [])
    .filter((p) => typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/** The `data` objects of a message's data parts. */
export function dataOf(message) {
  return (message?.parts ?? []).filter((p) => p.data && typeof p.data === 'object').map((p) => p.data);
}

/** The `tool_calls` a status message asks the client to act on. */
export function toolCallsOf(message) {
  return dataOf(message).flatMap((d) => (Array.isArray(d.tool_calls) ? d.tool_calls : []));
}

/** The question a handed-off agent asks (`{text, chain}`), if any. */
export function questionOf(message) {
  return dataOf(message).find((d) => d.question && typeof d.question === 'object')?.question;
}

/** "Weather Assistant (via Personal Assistant → Weather Assistant)". */
export function chainText(chain) {
  if (!Array.isArray(chain) || chain.length === 0) return '';
  const asker = chain[chain.length - 1].agent_name ?? 'a handed-off agent';
  return chain.length > 1 ? `${asker} (via ${chain.map((c) => c.agent_name).join(' → ')})` : asker;
}

function base64ToBlob(raw, type) {
  const bin = atob(raw);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: type || 'application/octet-stream' });
}

/** One part: text, data (as JSON), a file to download (inline bytes) or a link (URL). */
export function partView(part) {
  if (typeof part.text === 'string') return h('div.text', part.text);
  if (part.raw !== undefined) {
    const name = part.filename || 'file';
    let href;
    try {
      href = URL.createObjectURL(base64ToBlob(part.raw, part.mediaType));
    } catch {
      return h('div.bad', `${name}: the file's bytes are not valid base64.`);
    }
    return h(
      'div.file',
      h('a.download', { href, download: name }, `Download ${name}`),
      h('span.muted', ` ${part.mediaType ?? ''}`),
    );
  }
  if (part.url !== undefined) {
    const name = part.filename || part.url;
    return h(
      'div.file',
      h(
        'a.download',
        { href: part.url, download: part.filename || '', target: '_blank', rel: 'noopener' },
        name,
      ),
      h('span.muted', ` ${part.mediaType ?? ''}`),
    );
  }
  if (part.data !== undefined) return h('pre.data', JSON.stringify(part.data, null, 2));
  return h('pre.data', JSON.stringify(part, null, 2));
}

/** An artifact: its name and its parts. */
export function artifactView(artifact) {
  const textOnly = artifact.parts.every((p) => typeof p.text === 'string');
  const named = artifact.name && artifact.artifactId !== 'response';
  return h(
    `div.artifact${textOnly ? '.answer' : ''}`,
    { dataset: { artifactId: artifact.artifactId } },
    named ? h('div.artifact-name', artifact.name) : null,
    // Streamed text arrives as appended parts: one text, not one line per chunk.
    textOnly ? h('div.text', artifact.parts.map((p) => p.text).join('')) : artifact.parts.map(partView),
  );
}

/** A JSON object's top-level keys as a readable list. */
export function argsView(args) {
  if (!args || typeof args !== 'object' || Array.isArray(args))
    return h('pre.data', JSON.stringify(args, null, 2));
  const entries = Object.entries(args);
  if (entries.length === 0) return h('div.muted', 'no arguments');
  return h(
    'dl.args',
    entries.map(([k, v]) => [h('dt', k), h('dd', typeof v === 'string' ? v : JSON.stringify(v))]),
  );
}

/**
 * The handoff tree of a task: `nodes` in arrival order, each `{path, call_id, agent_name, state, text, task_id}`.
 * A node's parent is the latest earlier node whose path is its path minus the last name.
 */
export function handoffTreeView(rootName, nodes) {
  const children = new Map();
  const rootKids = [];
  nodes.forEach((node, i) => {
    if (node.path.length <= 1) {
      rootKids.push(node);
      return;
    }
    const parentPath = node.path.slice(0, -1).join('\u0000');
    let parent;
    for (let j = i - 1; j >= 0; j--) {
      if (nodes[j].path.join('\u0000') === parentPath) {
        parent = nodes[j];
        break;
      }
    }
    if (!parent) rootKids.push(node);
    else children.set(parent, [...(children.get(parent) ?? []), node]);
  });
  const nodeView = (node) =>
    h(
      'li.handoff-node',
      { dataset: { agent: node.agent_name ?? '' } },
      h(
        'div.handoff-line',
        h('span.handoff-agent', node.agent_name ?? node.agent_uri ?? 'agent'),
        ' ',
        stateBadge(node.state),
        node.task_id ? h('span.muted', ` task ${short(node.task_id)}`) : null,
      ),
      node.text ? h('div.handoff-text', node.text) : null,
      children.has(node) ? h('ul', children.get(node).map(nodeView)) : null,
    );
  return h(
    'div.handoffs',
    h('div.handoff-title', 'Handoffs'),
    h(
      'ul.handoff-tree',
      h(
        'li.handoff-node.root',
        h('div.handoff-line', h('span.handoff-agent', rootName)),
        h('ul', rootKids.map(nodeView)),
      ),
    ),
  );
}

/** An error box with what to do. */
export function errorView(err, onDismiss) {
  const message = err?.message ?? String(err);
  return h(
    'div.error',
    { role: 'alert' },
    h('strong', message),
    err?.hint ? h('p', err.hint) : null,
    onDismiss
      ? h('button.small', { type: 'button', onclick: onDismiss, 'aria-label': 'Dismiss' }, 'Dismiss')
      : null,
  );
}
