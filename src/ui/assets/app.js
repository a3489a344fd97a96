// The Timestep web UI: agents, conversations (chat), tasks. Plain DOM, no framework.
import { A2AError, AgentClient, credentialHeaders, newId, stateLabel, TERMINAL } from './a2a.js';
import {
  argsView,
  artifactView,
  chainText,
  errorView,
  fmtAgo,
  fmtTime,
  h,
  handoffTreeView,
  partView,
  questionOf,
  short,
  stateBadge,
  textOf,
  toolCallsOf,
} from './render.js';

const STORE_KEY = 'timestep.ui.v1';
const LOG_KEY = 'timestep.ui.tasklog.v1';
const MAX_LOGGED_TASKS = 300;
const $ = (id) => document.getElementById(id);

/** Replace an element's children, skipping empty values (`replaceChildren` would print "null"). */
function fill(el, ...children) {
  el.replaceChildren(
    ...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false && c !== ''),
  );
}

// ---- saved state (localStorage) -------------------------------------------------------------

function load(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? '') ?? fallback;
  } catch {
    return fallback;
  }
}

/** `{agents: [{url, target?}], conversations: [{id, agent, contextId?, title, updated}], current?}` */
const saved = load(STORE_KEY, { agents: [], conversations: [] });
saved.agents ??= [];
saved.conversations ??= [];
/** Task id → `{timeline: [{state, time, text}], handoffs: [...]}`: what only the live stream showed. */
const taskLog = load(LOG_KEY, {});

/**
 * Credentials by agent URL, as typed (see `credentialHeaders`). Kept in sessionStorage: for this
 * tab only, never written where other pages or later sessions read them.
 */
const CREDENTIALS_KEY = 'timestep.ui.credentials.v1';
const credentials = (() => {
  try {
    return JSON.parse(sessionStorage.getItem(CREDENTIALS_KEY) ?? '') ?? {};
  } catch {
    return {};
  }
})();

function persistCredentials() {
  try {
    sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify(credentials));
  } catch {
    // Storage disabled: the credential lasts until the page is reloaded.
  }
}

function persist() {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(saved));
  } catch {
    // Storage full or disabled: the UI still works, it just forgets on reload.
  }
}

let logTimer;
function persistLog() {
  clearTimeout(logTimer);
  logTimer = setTimeout(() => {
    const ids = Object.keys(taskLog);
    for (const id of ids.slice(0, Math.max(0, ids.length - MAX_LOGGED_TASKS))) delete taskLog[id];
    try {
      localStorage.setItem(LOG_KEY, JSON.stringify(taskLog));
    } catch {
      // as above
    }
  }, 200);
}

// ---- errors ----------------------------------------------------------------------------------

function showError(err) {
  if (err?.name === 'AbortError') return;
  console.error(err);
  const box = errorView(err, () => box.remove());
  $('errors').append(box);
}

// ---- agents ----------------------------------------------------------------------------------

/** url → `{url, target?, client?, card?, error?, connecting?}` */
const agents = new Map();

function agentName(url) {
  const agent = agents.get(url);
  return agent?.card?.name ?? url;
}

async function connectAgent(url, target, { remember = true, credential } = {}) {
  url = url.trim().replace(/\/+$/, '');
  if (!url) return;
  if (!/^(https?:\/\/|\/)/.test(url)) url = `http://${url}`;
  if (credential !== undefined) {
    if (credential.trim()) credentials[url] = credential.trim();
    else delete credentials[url];
    persistCredentials();
  }
  const agent = agents.get(url) ?? { url, target };
  agents.set(url, agent);
  agent.error = undefined;
  agent.connecting = true;
  renderAgents();
  try {
    agent.client = await AgentClient.connect(url, { target, headers: credentialHeaders(credentials[url]) });
    agent.card = agent.client.card;
  } catch (err) {
    agent.error = err;
  }
  agent.connecting = false;
  if (remember && !saved.agents.some((a) => a.url === url)) {
    saved.agents.push(target ? { url, target } : { url });
    persist();
  }
  renderAgents();
  renderConversations();
  renderChatHead();
  renderFilterAgents();
  return agent;
}

function removeAgent(url) {
  agents.delete(url);
  saved.agents = saved.agents.filter((a) => a.url !== url);
  persist();
  renderAgents();
  renderFilterAgents();
}

function capabilityList(card) {
  const c = card.capabilities ?? {};
  return [
    ['streaming', c.streaming],
    ['push notifications', c.pushNotifications],
    ['extended card', c.extendedAgentCard],
  ].map(([name, on]) => h(`li${on ? '.on' : '.off'}`, `${on ? '✓' : '✗'} ${name}`));
}

function renderAgents() {
  const box = $('agents');
  fill(box);
  if (agents.size === 0) box.append(h('p.muted', 'No agent yet: enter an agent’s URL above.'));
  for (const agent of agents.values()) {
    const head = h(
      'div.agent-head',
      h('h3', agent.card?.name ?? agent.url),
      h(
        'button.small.ghost',
        {
          type: 'button',
          title: 'Forget this agent',
          'aria-label': `Remove ${agent.url}`,
          onclick: () => removeAgent(agent.url),
        },
        '×',
      ),
    );
    if (agent.connecting) {
      box.append(h('div.agent-card', head, h('p.muted', `Connecting to ${agent.url}…`)));
      continue;
    }
    if (agent.error) {
      box.append(
        h(
          'div.agent-card.failed',
          head,
          errorView(agent.error),
          h(
            'button.small',
            { type: 'button', onclick: () => connectAgent(agent.url, agent.target) },
            'Retry',
          ),
        ),
      );
      continue;
    }
    const card = agent.card;
    const iface = agent.client;
    box.append(
      h(
        'details.agent-card',
        { open: agents.size <= 2, dataset: { url: agent.url } },
        h('summary', head),
        h('p', card.description ?? ''),
        card.skills?.length
          ? h(
              'div.skills',
              h('h4', 'Skills'),
              h(
                'ul',
                card.skills.map((s) =>
                  h(
                    'li',
                    h('strong', s.name ?? s.id),
                    s.description ? ` — ${s.description}` : '',
                    (s.examples ?? []).map((ex) =>
                      h(
                        'button.example',
                        {
                          type: 'button',
                          title: 'Use this example',
                          onclick: () => useExample(agent.url, ex),
                        },
                        ex,
                      ),
                    ),
                  ),
                ),
              ),
            )
          : null,
        h('h4', 'Capabilities'),
        h('ul.caps', capabilityList(card)),
        h(
          'p.muted.iface',
          `A2A 1.0 ${iface.binding === 'jsonrpc' ? 'JSON-RPC' : 'REST'} at ${iface.endpoint}`,
        ),
        h(
          'button.small',
          { type: 'button', onclick: () => newConversation(agent.url) },
          `Chat with ${card.name}`,
        ),
      ),
    );
  }
}

// ---- conversations ---------------------------------------------------------------------------

/** conversation id → runtime state `{meta, el, loaded, running, tasks: Map<taskId, TaskView>}` */
const convs = new Map();

function conv(id) {
  let c = convs.get(id);
  if (!c) {
    const meta = saved.conversations.find((m) => m.id === id);
    if (!meta) return undefined;
    c = { meta, el: h('div.conversation'), loaded: false, running: null, tasks: new Map(), pending: null };
    convs.set(id, c);
  }
  return c;
}

function currentConv() {
  return saved.current ? conv(saved.current) : undefined;
}

function newConversation(agentUrl) {
  const url = agentUrl ?? currentConv()?.meta.agent ?? [...agents.keys()][0];
  if (!url) {
    showError(
      new A2AError('Connect to an agent first.', {
        hint: 'Enter an agent URL at the top, e.g. http://127.0.0.1:9999.',
      }),
    );
    return undefined;
  }
  const meta = { id: newId(), agent: url, title: 'New conversation', updated: new Date().toISOString() };
  saved.conversations.unshift(meta);
  saved.current = meta.id;
  persist();
  const c = conv(meta.id);
  c.loaded = true;
  openConversation(meta.id);
  return c;
}

function openConversation(id) {
  const c = conv(id);
  if (!c) return;
  saved.current = id;
  persist();
  showView('chat');
  fill($('transcript'), c.el);
  renderConversations();
  renderChatHead();
  updateComposer();
  if (!c.loaded) void loadConversation(c);
  scrollDown(true);
  $('input').focus();
}

function deleteConversation(id) {
  saved.conversations = saved.conversations.filter((m) => m.id !== id);
  convs.delete(id);
  if (saved.current === id) saved.current = saved.conversations[0]?.id;
  persist();
  if (saved.current) openConversation(saved.current);
  else {
    fill($('transcript'));
    renderConversations();
    renderChatHead();
  }
}

function renderConversations() {
  const list = $('conversations');
  fill(list);
  if (saved.conversations.length === 0) list.append(h('li.muted', 'None yet.'));
  for (const meta of saved.conversations) {
    list.append(
      h(
        `li.conv${meta.id === saved.current ? '.active' : ''}`,
        { dataset: { id: meta.id, context: meta.contextId ?? '' } },
        h(
          'button.conv-open',
          { type: 'button', onclick: () => openConversation(meta.id) },
          h('span.conv-title', meta.title),
          h('span.conv-meta', `${agentName(meta.agent)} · ${fmtAgo(meta.updated)}`),
        ),
        h(
          'button.small.ghost',
          {
            type: 'button',
            title: 'Forget this conversation',
            'aria-label': 'Delete conversation',
            onclick: () => deleteConversation(meta.id),
          },
          '×',
        ),
      ),
    );
  }
}

function renderChatHead() {
  const c = currentConv();
  const head = $('chat-head');
  if (!c) {
    fill(
      head,
      h('span.muted', agents.size ? 'Start a conversation: type below.' : 'Connect to an agent to start.'),
    );
    return;
  }
  fill(
    head,
    h('span', 'Talking to ', h('strong', agentName(c.meta.agent))),
    c.meta.contextId
      ? h(
          'button.small.ghost',
          {
            type: 'button',
            title: 'This conversation’s tasks',
            onclick: () => showTasks(c.meta.agent, { contextId: c.meta.contextId }),
          },
          `context ${short(c.meta.contextId)}`,
        )
      : null,
  );
}

function touch(c, title) {
  c.meta.updated = new Date().toISOString();
  if (title && c.meta.title === 'New conversation')
    c.meta.title = title.length > 60 ? `${title.slice(0, 57)}…` : title;
  // Most recent first.
  saved.conversations = [c.meta, ...saved.conversations.filter((m) => m !== c.meta)];
  persist();
  renderConversations();
}

function scrollDown(force = false) {
  const t = $('transcript');
  if (force || t.scrollHeight - t.scrollTop - t.clientHeight < 120) t.scrollTop = t.scrollHeight;
}

/** Rebuild a conversation from the agent's tasks of its context (after a reload). */
async function loadConversation(c) {
  c.loaded = true;
  const agent = agents.get(c.meta.agent) ?? (await connectAgent(c.meta.agent));
  if (!c.meta.contextId) return;
  if (!agent?.client) {
    c.el.append(errorView(agent?.error ?? new A2AError(`Not connected to ${c.meta.agent}.`)));
    return;
  }
  fill(c.el, h('p.muted', 'Loading the conversation…'));
  try {
    const tasks = [];
    let pageToken;
    do {
      const page = await agent.client.listTasks({
        contextId: c.meta.contextId,
        includeArtifacts: true,
        pageSize: 100,
        ...(pageToken ? { pageToken } : {}),
      });
      tasks.push(...page.tasks);
      pageToken = page.nextPageToken;
    } while (pageToken && tasks.length < 500);
    fill(c.el);
    tasks.sort((a, b) => firstTime(a).localeCompare(firstTime(b)));
    for (const task of tasks) {
      const history = task.history ?? [];
      const first = history.find((m) => m.role === 'ROLE_USER');
      if (first) c.el.append(userBubble(first));
      const tv = new TaskView(c, agent);
      c.tasks.set(task.id, tv);
      c.el.append(tv.el);
      tv.restore(task, history.slice(first ? history.indexOf(first) + 1 : 0));
      if (task.status.state === 'TASK_STATE_INPUT_REQUIRED') c.pending = tv;
      else if (!TERMINAL.has(task.status.state) && task.status.state !== 'TASK_STATE_AUTH_REQUIRED')
        void follow(c, tv);
    }
    if (tasks.length === 0)
      c.el.append(h('p.muted', 'The agent has no tasks for this conversation any more.'));
    updateComposer();
    scrollDown(true);
  } catch (err) {
    fill(c.el, errorView(err));
  }
}

function firstTime(task) {
  return (
    task.history?.[0]?.metadata?.timestamp ??
    taskLog[task.id]?.timeline?.[0]?.time ??
    task.status?.timestamp ??
    ''
  );
}

function userBubble(message) {
  const text = textOf(message);
  return h('div.msg.user', text ? h('div.text', text) : (message.parts ?? []).map(partView));
}

/** What the user answered in a task (tool results/approvals or text), as one readable line. */
function answerNote(message) {
  const lines = [];
  for (const part of message.parts ?? []) {
    if (typeof part.text === 'string') lines.push(`You answered: ${part.text}`);
    const d = part.data;
    if (!d || typeof d !== 'object') continue;
    for (const a of d.tool_approvals ?? []) {
      if (a.approved)
        lines.push(
          `You approved ${a.name ?? a.call_id}${a.arguments ? ` with ${JSON.stringify(a.arguments)}` : ''}`,
        );
      else lines.push(`You refused ${a.name ?? a.call_id}${a.reason ? `: ${a.reason}` : ''}`);
    }
    for (const r of d.tool_results ?? [])
      lines.push(`You sent the result of ${r.name ?? r.call_id}: ${r.output}`);
  }
  return h('div.note', lines.join('\n'));
}

// ---- handoff reports -----------------------------------------------------------------------------

/** Merge one `timestep/handoff` progress report (status message metadata) into a handoff list. */
function noteHandoff(handoffs, metadata) {
  const handoff = metadata?.['timestep/handoff'];
  if (!handoff || typeof handoff !== 'object') return;
  const node = {
    ...handoff,
    path: Array.isArray(handoff.path) && handoff.path.length ? handoff.path : [handoff.agent_name],
  };
  const key = `${node.path.join('\u0000')}\u0001${node.call_id}`;
  const i = handoffs.findIndex((n) => `${n.path.join('\u0000')}\u0001${n.call_id}` === key);
  if (i === -1) handoffs.push(node);
  else handoffs[i] = { ...handoffs[i], ...node };
}

/**
 * The handoffs of a task this browser did not watch: the agent stores each progress report as a
 * status message, so its history has them all.
 */
function handoffsFromHistory(task) {
  const handoffs = [];
  for (const message of task.history ?? []) noteHandoff(handoffs, message.metadata);
  return handoffs;
}

// ---- one task in the transcript ----------------------------------------------------------------

class TaskView {
  constructor(c, agent) {
    this.c = c;
    this.agent = agent;
    this.task = undefined;
    this.log = { timeline: [], handoffs: [] };
    this.head = h('div.task-head', h('span.muted', 'Sending…'));
    this.notes = h('div.notes');
    this.handoffsEl = h('div');
    this.answerEl = h('div.answers');
    this.asksEl = h('div.asks');
    this.el = h('div.msg.agent', this.head, this.handoffsEl, this.notes, this.answerEl, this.asksEl);
    this.askedFor = undefined;
  }

  get id() {
    return this.task?.id;
  }

  /** Show a task loaded from the agent (not live). */
  restore(task, laterMessages) {
    this.task = task;
    this.el.dataset.taskId = task.id;
    this.log = taskLog[task.id] ?? this.log;
    if (this.log.handoffs.length === 0) this.log.handoffs = handoffsFromHistory(task);
    for (const m of laterMessages) {
      if (m.role === 'ROLE_USER') this.notes.append(answerNote(m));
    }
    this.#noteStatus(task.status, undefined);
    this.render();
  }

  /** Apply one stream event. */
  apply(event) {
    if (event.task) {
      const t = event.task;
      this.task = { ...t, artifacts: t.artifacts ?? this.task?.artifacts ?? [] };
      this.el.dataset.taskId = t.id;
      this.log = taskLog[t.id] ?? this.log;
      taskLog[t.id] = this.log;
      this.#noteStatus(t.status, t.metadata);
    } else if (event.statusUpdate) {
      const u = event.statusUpdate;
      this.#ensure(u.taskId, u.contextId);
      this.task.status = u.status;
      this.#noteStatus(u.status, u.metadata ?? u.status?.message?.metadata);
    } else if (event.artifactUpdate) {
      const u = event.artifactUpdate;
      this.#ensure(u.taskId, u.contextId);
      const list = this.task.artifacts;
      const i = list.findIndex((a) => a.artifactId === u.artifact.artifactId);
      if (i === -1) list.push(structuredClone(u.artifact));
      else if (u.append) list[i] = { ...list[i], parts: mergeParts(list[i].parts, u.artifact.parts) };
      else list[i] = structuredClone(u.artifact);
      this.#renderAnswers();
      scrollDown();
      return;
    }
    persistLog();
    this.render();
    scrollDown();
  }

  #ensure(id, contextId) {
    if (!this.task) {
      this.task = { id, contextId, status: { state: 'TASK_STATE_SUBMITTED' }, artifacts: [] };
      this.el.dataset.taskId = id;
      taskLog[id] = this.log;
    }
    this.task.artifacts ??= [];
  }

  #noteStatus(status, metadata) {
    if (!status) return;
    const text = textOf(status.message);
    const last = this.log.timeline.at(-1);
    if (!last || last.state !== status.state || last.text !== text) {
      this.log.timeline.push({
        state: status.state,
        time: status.timestamp ?? new Date().toISOString(),
        text,
      });
    }
    noteHandoff(this.log.handoffs, metadata);
  }

  render() {
    const t = this.task;
    if (!t) return;
    const state = t.status.state;
    const statusText = textOf(t.status.message);
    fill(
      this.head,
      h('span.agent-name', agentName(this.agent.url)),
      ' ',
      stateBadge(state),
      state === 'TASK_STATE_WORKING' && statusText ? h('span.status-text', ` ${statusText}`) : null,
      h(
        'button.small.ghost.details',
        {
          type: 'button',
          title: 'Show this task',
          onclick: () => showTasks(this.agent.url, { contextId: t.contextId, taskId: t.id }),
        },
        `task ${short(t.id)}`,
      ),
    );
    fill(
      this.handoffsEl,
      this.log.handoffs.length ? handoffTreeView(agentName(this.agent.url), this.log.handoffs) : '',
    );
    this.#renderAnswers();
    this.#renderAsks();
  }

  #renderAnswers() {
    const t = this.task;
    const views = (t?.artifacts ?? []).map(artifactView);
    const state = t?.status.state;
    if (state === 'TASK_STATE_FAILED' || state === 'TASK_STATE_REJECTED') {
      const reason = textOf(t.status.message) || 'No reason given.';
      views.push(
        errorView(
          new A2AError(`The task ${stateLabel(state)}: ${reason}`, {
            hint: 'Send the message again, or rephrase it; if it keeps failing, check the agent’s log.',
          }),
        ),
      );
    } else if (state === 'TASK_STATE_CANCELED') views.push(h('div.note', 'Canceled.'));
    else if (state === 'TASK_STATE_AUTH_REQUIRED') {
      views.push(
        errorView(
          new A2AError(`The agent needs you to authenticate: ${textOf(t.status.message)}`, {
            hint: 'Authenticate as the agent says, then answer here.',
          }),
        ),
      );
    }
    fill(this.answerEl, ...views);
  }

  #renderAsks() {
    const t = this.task;
    const message = t?.status.message;
    const key =
      t?.status.state === 'TASK_STATE_INPUT_REQUIRED'
        ? (message?.messageId ?? JSON.stringify(message ?? {}))
        : undefined;
    if (key === this.askedFor) return; // keep what the user is typing
    this.askedFor = key;
    if (!key) {
      fill(this.asksEl);
      return;
    }
    const calls = toolCallsOf(message);
    const question = questionOf(message);
    const views = [];
    if (calls.length > 0) {
      const sentence = textOf(message);
      if (sentence) views.push(h('div.ask-text', sentence));
      views.push(new ToolCallsForm(this, calls).el);
    } else if (question) {
      const who = chainText(question.chain);
      views.push(
        h(
          'div.question',
          h('div.asker', who ? `${who} asks:` : 'The agent asks:'),
          h('div.text', question.text ?? textOf(message)),
          h('div.muted', 'Answer below.'),
        ),
      );
    } else {
      views.push(
        h(
          'div.question',
          h('div.asker', 'The agent needs your input:'),
          h('div.text', textOf(message) || 'Answer below.'),
        ),
      );
    }
    fill(this.asksEl, ...views);
  }

  /** Continue this task with `parts` (an answer). */
  answer(parts, note) {
    this.askedFor = undefined;
    fill(this.asksEl);
    this.notes.append(answerNote({ parts: note ?? parts }));
    const message = {
      messageId: newId(),
      role: 'ROLE_USER',
      parts,
      taskId: this.task.id,
      contextId: this.task.contextId,
    };
    if (this.c.pending === this) this.c.pending = null;
    void runStream(this.c, message, this);
  }
}

function mergeParts(old, added) {
  const parts = old.map((p) => ({ ...p }));
  for (const p of added) {
    const last = parts.at(-1);
    if (last && typeof last.text === 'string' && typeof p.text === 'string') last.text += p.text;
    else parts.push({ ...p });
  }
  return parts;
}

/** Cards for the tool calls of an input-required task: approve / refuse / edit, or answer a client tool. */
class ToolCallsForm {
  constructor(tv, calls) {
    this.tv = tv;
    this.calls = calls;
    this.decisions = new Map();
    this.el = h(
      'div.tool-calls',
      calls.map((call) => this.#card(call)),
    );
  }

  #card(call) {
    const approval = call.kind !== 'client';
    const who = chainText(call.chain);
    const decision = h('div.tool-decision');
    const actions = h('div.tool-actions');
    const card = h(
      `div.tool-card${approval ? '.approval' : '.client'}`,
      { dataset: { callId: call.call_id, tool: call.name } },
      h(
        'div.tool-head',
        h('span.tool-name', call.name),
        h('span.badge', approval ? 'needs your approval' : 'your tool: send its result'),
      ),
      who ? h('div.tool-chain', `Asked by ${who}`) : null,
      argsView(call.arguments),
      actions,
      decision,
    );
    const decide = (value, text) => {
      this.decisions.set(call.call_id, value);
      actions.replaceChildren();
      decision.textContent = text;
      card.classList.add('decided');
      this.#maybeSend();
    };
    if (approval) {
      const reason = h('input', {
        type: 'text',
        placeholder: 'Why? (the model sees this)',
        'aria-label': 'Reason for refusing',
      });
      const refusePanel = h(
        'div.panel',
        { hidden: true },
        reason,
        h(
          'button.danger',
          {
            type: 'button',
            onclick: () =>
              decide(
                {
                  kind: 'approval',
                  call_id: call.call_id,
                  name: call.name,
                  approved: false,
                  ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
                },
                `Refused${reason.value.trim() ? `: ${reason.value.trim()}` : ''}`,
              ),
          },
          'Refuse',
        ),
      );
      const argsInput = h('textarea.json', { rows: 4, 'aria-label': 'Arguments (JSON)' });
      argsInput.value = JSON.stringify(call.arguments ?? {}, null, 2);
      const argsError = h('div.bad');
      const editPanel = h(
        'div.panel',
        { hidden: true },
        argsInput,
        argsError,
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              let args;
              try {
                args = JSON.parse(argsInput.value);
              } catch (err) {
                argsError.textContent = `Not valid JSON (${err.message}): fix it, e.g. {"city": "Oakland"}.`;
                return;
              }
              if (!args || typeof args !== 'object' || Array.isArray(args)) {
                argsError.textContent = 'The arguments must be a JSON object, e.g. {"city": "Oakland"}.';
                return;
              }
              decide(
                { kind: 'approval', call_id: call.call_id, name: call.name, approved: true, arguments: args },
                `Approved with ${JSON.stringify(args)}`,
              );
            },
          },
          'Approve with these arguments',
        ),
      );
      actions.append(
        h(
          'button.approve',
          {
            type: 'button',
            onclick: () =>
              decide(
                { kind: 'approval', call_id: call.call_id, name: call.name, approved: true },
                'Approved',
              ),
          },
          'Approve',
        ),
        h(
          'button.ghost',
          {
            type: 'button',
            onclick: () => {
              refusePanel.hidden = !refusePanel.hidden;
              editPanel.hidden = true;
              if (!refusePanel.hidden) reason.focus();
            },
          },
          'Refuse…',
        ),
        h(
          'button.ghost',
          {
            type: 'button',
            onclick: () => {
              editPanel.hidden = !editPanel.hidden;
              refusePanel.hidden = true;
            },
          },
          'Edit arguments…',
        ),
        refusePanel,
        editPanel,
      );
    } else {
      const output = h('textarea', {
        rows: 2,
        placeholder: 'The tool’s result',
        'aria-label': `Result of ${call.name}`,
      });
      actions.append(
        output,
        h(
          'button',
          {
            type: 'button',
            onclick: () =>
              decide(
                { kind: 'client', call_id: call.call_id, name: call.name, output: output.value },
                `Result sent: ${output.value}`,
              ),
          },
          'Send result',
        ),
      );
    }
    return card;
  }

  #maybeSend() {
    if (this.decisions.size < this.calls.length) return;
    const approvals = [];
    const results = [];
    for (const d of this.decisions.values()) {
      const { kind, ...rest } = d;
      (kind === 'client' ? results : approvals).push(rest);
    }
    const data = {};
    if (approvals.length) data.tool_approvals = approvals;
    if (results.length) data.tool_results = results;
    this.tv.answer([{ data }]);
  }
}

// ---- sending and following -------------------------------------------------------------------

async function runStream(c, message, existing) {
  const agent = agents.get(c.meta.agent);
  if (!agent?.client) {
    showError(
      agent?.error ??
        new A2AError(`Not connected to ${c.meta.agent}.`, {
          hint: 'Connect to the agent again (top of the page).',
        }),
    );
    return;
  }
  let tv = existing;
  if (!tv) {
    tv = new TaskView(c, agent);
    c.el.append(tv.el);
  }
  const controller = new AbortController();
  c.running = { controller, tv };
  updateComposer();
  scrollDown(true);
  try {
    for await (const event of agent.client.sendStream(message, { signal: controller.signal })) {
      if (event.message) {
        c.el.append(
          h(
            'div.msg.agent',
            h('div.task-head', h('span.agent-name', agentName(agent.url))),
            (event.message.parts ?? []).map(partView),
          ),
        );
        tv.el.remove();
        continue;
      }
      const taskId = event.task?.id ?? event.statusUpdate?.taskId ?? event.artifactUpdate?.taskId;
      if (taskId && !c.tasks.has(taskId)) c.tasks.set(taskId, tv);
      const contextId =
        event.task?.contextId ?? event.statusUpdate?.contextId ?? event.artifactUpdate?.contextId;
      if (contextId && c.meta.contextId !== contextId) {
        c.meta.contextId = contextId;
        persist();
        renderChatHead();
        renderConversations();
      }
      tv.apply(event);
    }
    // A stream that ended while the task still runs (a dropped connection): follow it.
    const state = tv.task?.status.state;
    if (
      tv.task &&
      !TERMINAL.has(state) &&
      state !== 'TASK_STATE_INPUT_REQUIRED' &&
      state !== 'TASK_STATE_AUTH_REQUIRED'
    ) {
      await followLoop(tv, controller.signal);
    }
  } catch (err) {
    if (err?.name !== 'AbortError') {
      tv.el.append(errorView(err));
      if (!tv.task) fill(tv.head, h('span.agent-name', agentName(agent.url)));
    }
  } finally {
    if (c.running?.controller === controller) c.running = null;
    if (tv.task?.status.state === 'TASK_STATE_INPUT_REQUIRED') c.pending = tv;
    touch(c);
    updateComposer();
  }
}

/** Apply a running task's events (SubscribeToTask) until its stream ends. */
async function followLoop(tv, signal) {
  try {
    for await (const event of tv.agent.client.subscribe(tv.task.id, { signal })) tv.apply(event);
  } catch (err) {
    // The task ended before the subscription started: show how it ended.
    if (err?.kind !== 'UnsupportedOperation') throw err;
    tv.apply({ task: await tv.agent.client.getTask(tv.task.id, { signal }) });
  }
}

/** Follow a running task (reopened after a reload) until it ends or needs input. */
async function follow(c, tv) {
  const controller = new AbortController();
  c.running = { controller, tv };
  updateComposer();
  try {
    await followLoop(tv, controller.signal);
  } catch (err) {
    if (err?.name !== 'AbortError') tv.el.append(errorView(err));
  } finally {
    if (c.running?.controller === controller) c.running = null;
    if (tv.task?.status.state === 'TASK_STATE_INPUT_REQUIRED') c.pending = tv;
    updateComposer();
  }
}

async function send(text) {
  let c = currentConv();
  if (!c) c = newConversation();
  if (!c) return;
  if (c.running) return;
  const pending = c.pending;
  if (pending && pending.task?.status.state === 'TASK_STATE_INPUT_REQUIRED') {
    // An answer to the question (or a note with the tool calls) goes to the waiting task.
    pending.answer([{ text }]);
    touch(c, text);
    return;
  }
  c.el.append(userBubble({ parts: [{ text }] }));
  touch(c, text);
  const message = {
    messageId: newId(),
    role: 'ROLE_USER',
    parts: [{ text }],
    ...(c.meta.contextId ? { contextId: c.meta.contextId } : {}),
  };
  await runStream(c, message);
}

async function stop() {
  const c = currentConv();
  const running = c?.running;
  if (!running) return;
  const id = running.tv.task?.id;
  if (!id) {
    running.controller.abort();
    return;
  }
  $('stop').disabled = true;
  try {
    const task = await running.tv.agent.client.cancel(id);
    running.tv.apply({ task });
  } catch (err) {
    showError(err);
  } finally {
    $('stop').disabled = false;
  }
}

function updateComposer() {
  const c = currentConv();
  const running = Boolean(c?.running);
  $('stop').hidden = !running;
  $('send').disabled = running;
  const input = $('input');
  const waiting = c?.pending?.task?.status.state === 'TASK_STATE_INPUT_REQUIRED';
  input.placeholder = waiting
    ? 'Answer the agent… (Enter sends, Shift+Enter breaks the line)'
    : 'Message… (Enter sends, Shift+Enter breaks the line)';
}

function useExample(agentUrl, text) {
  const c = currentConv();
  if (!c || c.meta.agent !== agentUrl) newConversation(agentUrl);
  $('input').value = text;
  $('input').focus();
}

// ---- tasks view --------------------------------------------------------------------------------

let taskListToken = '';

function renderFilterAgents() {
  const select = $('filter-agent');
  const value = select.value;
  select.replaceChildren(
    ...[...agents.values()].filter((a) => a.client).map((a) => h('option', { value: a.url }, a.card.name)),
  );
  if (value && agents.has(value)) select.value = value;
}

function showView(view) {
  $('chat-view').hidden = view !== 'chat';
  $('tasks-view').hidden = view !== 'tasks';
  for (const tab of document.querySelectorAll('.tab'))
    tab.classList.toggle('active', tab.dataset.view === view);
}

function showTasks(agentUrl, { contextId, taskId } = {}) {
  showView('tasks');
  renderFilterAgents();
  if (agentUrl) $('filter-agent').value = agentUrl;
  if (contextId !== undefined) $('filter-context').value = contextId;
  void refreshTasks();
  if (taskId) void showTask(agentUrl, taskId);
}

async function refreshTasks(more = false) {
  const agent = agents.get($('filter-agent').value);
  const list = $('task-list');
  if (!agent?.client) {
    fill(list, h('li.muted', 'Connect to an agent first.'));
    return;
  }
  if (!more) taskListToken = '';
  const params = { pageSize: 25, historyLength: 1 };
  const state = $('filter-state').value;
  const contextId = $('filter-context').value.trim();
  if (state) params.status = state;
  if (contextId) params.contextId = contextId;
  if (more && taskListToken) params.pageToken = taskListToken;
  try {
    const page = await agent.client.listTasks(params);
    if (!more) fill(list);
    for (const task of page.tasks) {
      list.append(
        h(
          'li.task-row',
          { dataset: { taskId: task.id } },
          h(
            'button',
            { type: 'button', onclick: () => showTask(agent.url, task.id) },
            stateBadge(task.status.state),
            h('span.mono', ` ${short(task.id)}`),
            h('span.muted', ` ctx ${short(task.contextId)} · ${fmtTime(task.status.timestamp)}`),
            textOf(task.status.message) ? h('div.row-text', textOf(task.status.message)) : null,
          ),
        ),
      );
    }
    if (!more && page.tasks.length === 0) list.append(h('li.muted', 'No tasks match.'));
    taskListToken = page.nextPageToken ?? '';
    $('more-tasks').hidden = !taskListToken;
  } catch (err) {
    fill(list, h('li', errorView(err)));
  }
}

let watching;

async function showTask(agentUrl, taskId) {
  const agent = agents.get(agentUrl);
  const box = $('task-detail');
  watching?.abort();
  watching = undefined;
  fill(box, h('p.muted', 'Loading…'));
  for (const row of document.querySelectorAll('.task-row'))
    row.classList.toggle('active', row.dataset.taskId === taskId);
  try {
    const task = await agent.client.getTask(taskId);
    renderTaskDetail(agent, task);
  } catch (err) {
    fill(box, errorView(err));
  }
}

function renderTaskDetail(agent, task) {
  const box = $('task-detail');
  const log = taskLog[task.id] ?? { timeline: [], handoffs: handoffsFromHistory(task) };
  const timeline = [...log.timeline];
  const last = timeline.at(-1);
  if (!last || last.state !== task.status.state) {
    timeline.push({
      state: task.status.state,
      time: task.status.timestamp,
      text: textOf(task.status.message),
    });
  }
  const usage = task.metadata?.['timestep/usage'];
  const running = !TERMINAL.has(task.status.state);
  const watch = async () => {
    watching?.abort();
    const controller = new AbortController();
    watching = controller;
    let current = task;
    try {
      for await (const event of agent.client.subscribe(task.id, { signal: controller.signal })) {
        if (event.task) current = event.task;
        else if (event.statusUpdate) {
          current = { ...current, status: event.statusUpdate.status };
          taskLog[task.id] ??= { timeline: [], handoffs: [] };
          const l = taskLog[task.id];
          l.timeline.push({
            state: event.statusUpdate.status.state,
            time: event.statusUpdate.status.timestamp,
            text: textOf(event.statusUpdate.status.message),
          });
        } else continue;
        renderTaskDetail(agent, current);
      }
    } catch (err) {
      if (err?.name !== 'AbortError') showError(err);
    }
  };
  fill(
    box,
    h(
      'div.detail',
      { dataset: { taskId: task.id } },
      h('h3', 'Task ', h('span.mono', task.id), ' ', stateBadge(task.status.state)),
      h(
        'p.muted',
        'Context ',
        h('span.mono', task.contextId),
        ' ',
        h(
          'button.small.ghost',
          { type: 'button', onclick: () => openContext(agent.url, task.contextId) },
          'Open conversation',
        ),
      ),
      running
        ? h(
            'div.row',
            h(
              'button.small.danger',
              {
                type: 'button',
                onclick: async () => {
                  try {
                    renderTaskDetail(agent, await agent.client.cancel(task.id));
                  } catch (err) {
                    showError(err);
                  }
                },
              },
              'Cancel task',
            ),
            h('button.small', { type: 'button', onclick: watch }, 'Watch live'),
          )
        : null,
      usage
        ? h('p.muted', `Tokens: ${usage.input_tokens ?? '?'} in, ${usage.output_tokens ?? '?'} out`)
        : null,
      h('h4', 'Timeline'),
      h(
        'ol.timeline',
        timeline.map((e) =>
          h(
            'li',
            h('span.time', fmtTime(e.time)),
            ' ',
            stateBadge(e.state),
            e.text ? h('span.status-text', ` ${e.text}`) : null,
          ),
        ),
      ),
      log.handoffs.length ? handoffTreeView(agent.card.name, log.handoffs) : null,
      task.status.message
        ? h('div', h('h4', 'Status message'), (task.status.message.parts ?? []).map(partView))
        : null,
      h('h4', `Artifacts (${task.artifacts?.length ?? 0})`),
      (task.artifacts ?? []).map(artifactView),
      h('h4', `History (${task.history?.length ?? 0})`),
      h(
        'ol.history',
        (task.history ?? []).map((m) =>
          h(
            `li.${m.role === 'ROLE_USER' ? 'user' : 'agent'}`,
            h('span.who', m.role === 'ROLE_USER' ? 'user' : 'agent'),
            (m.parts ?? []).map(partView),
          ),
        ),
      ),
    ),
  );
}

function openContext(agentUrl, contextId) {
  let meta = saved.conversations.find((m) => m.agent === agentUrl && m.contextId === contextId);
  if (!meta) {
    meta = {
      id: newId(),
      agent: agentUrl,
      contextId,
      title: `Conversation ${short(contextId)}`,
      updated: new Date().toISOString(),
    };
    saved.conversations.unshift(meta);
    persist();
  }
  openConversation(meta.id);
}

// ---- start -----------------------------------------------------------------------------------

function wire() {
  $('connect-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('connect-url');
    const url = input.value.trim();
    if (!url) return;
    input.value = '';
    const credential = $('connect-credential').value;
    $('connect-credential').value = '';
    // Connecting does not switch conversations: "Chat with …" on the card starts one.
    void connectAgent(url, undefined, { credential });
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('input');
    const text = input.value.trim();
    if (!text || currentConv()?.running) return;
    input.value = '';
    void send(text);
  });
  $('input').addEventListener('keydown', (e) => {
    // Enter sends; Shift+Enter (and Enter while an IME composes) breaks the line.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('stop').addEventListener('click', () => void stop());
  $('new-chat').addEventListener('click', () => newConversation());
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () =>
      tab.dataset.view === 'tasks'
        ? showTasks($('filter-agent').value || currentConv()?.meta.agent)
        : showView('chat'),
    );
  }
  $('task-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    void refreshTasks();
  });
  $('filter-agent').addEventListener('change', () => void refreshTasks());
  $('filter-state').addEventListener('change', () => void refreshTasks());
  $('more-tasks').addEventListener('click', () => void refreshTasks(true));
}

async function start() {
  wire();
  let config = {};
  try {
    const res = await fetch('config.json');
    if (res.ok) config = await res.json();
  } catch {
    // Opened without a server behind it: nothing to pre-connect.
  }
  const wanted = new Map();
  if (config.self) wanted.set(location.origin, undefined);
  for (const a of config.agents ?? [])
    wanted.set(new URL(a.url, location.href).href.replace(/\/+$/, ''), a.target);
  for (const a of saved.agents) if (!wanted.has(a.url)) wanted.set(a.url, a.target);
  for (const [url, target] of wanted) agents.set(url, { url, target, connecting: true });
  renderAgents();
  renderConversations();
  await Promise.all(
    [...wanted].map(([url, target]) =>
      connectAgent(url, target, { remember: !config.self || url !== location.origin }),
    ),
  );
  const current = currentConv();
  if (current) openConversation(current.meta.id);
  else {
    renderChatHead();
    updateComposer();
  }
  document.body.dataset.ready = 'true';
}

void start();
