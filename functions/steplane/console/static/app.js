// steplane console: a dependency-free single-page front-end for operators.
// Hash routes: "#/" (executions list), "#/executions/{id}" (one execution), "#/workflows"
// (published workflows) and "#/workflows/{name}" (a workflow's bottlenecks).
// Every piece of server data is inserted with textContent / attributes, never as HTML.
'use strict';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const REDRIVABLE = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
const PSEUDO_NODES = new Set(['__start__', '__end__']);
const DETAIL_POLL_MS = 2000;
const LIST_REFRESH_MS = 5000;
const PAGE_SIZE = 50;
const LIST_ALL_PAGE = 1000; // maxResults when every page of a listing is wanted
const MAX_PAGES = 200; // guards against a server that keeps returning a token
const SVG_NS = 'http://www.w3.org/2000/svg';

// ---------------------------------------------------------------- DOM helpers

/** Sets attributes; "text" sets textContent, "on*" adds listeners, null/false are skipped. */
function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

function appendAll(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Creates an HTML element: h('td', {class: 'x'}, 'text', otherNode). */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  appendAll(node, children);
  return node;
}

/** Same as h() for SVG elements, which need their namespace. */
function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  appendAll(node, children);
  return node;
}

function byId(id) {
  return document.getElementById(id);
}

// ---------------------------------------------------------------- formatting

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** Local time "YYYY-MM-DD HH:MM:SS[.mmm]" inside <time>, with the raw ISO value as tooltip. */
function timeCell(iso, withMs = false) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  let text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (withMs) text += `.${pad(d.getMilliseconds(), 3)}`;
  return h('time', { datetime: iso, title: iso, text });
}

function badge(status, attrs = {}) {
  const value = status || 'UNKNOWN';
  return h('span', { class: `badge status-${value.toLowerCase()}`, ...attrs, text: value });
}

/** Pretty JSON; strings holding JSON documents are parsed first, other strings shown as-is. */
function pretty(value) {
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value);
      if (parsed !== null && typeof parsed === 'object') return JSON.stringify(parsed, null, 2);
    } catch { /* not JSON: show the text itself */ }
    return value;
  }
  return JSON.stringify(value, null, 2);
}

/** Per-execution costs are often fractions of a cent: keep six decimals below a dollar. */
function formatDollars(dollars) {
  const n = Number(dollars);
  return Number.isFinite(n) ? `$${n.toFixed(n !== 0 && Math.abs(n) < 1 ? 6 : 2)}` : String(dollars);
}

function isFailureEvent(type) {
  return /Failed|TimedOut|Aborted/.test(type || '');
}

// ---------------------------------------------------------------- errors and API

class ReportedError extends Error {}

/** Several requests can fail at once (a page loads three): list each distinct message once. */
function showError(message) {
  const banner = byId('error-banner');
  const shown = banner.hidden ? [] : banner.textContent.split('\n');
  if (!shown.includes(message)) banner.textContent = [...shown, message].join('\n');
  banner.hidden = false;
}

function hideError() {
  const banner = byId('error-banner');
  banner.hidden = true;
  banner.textContent = '';
}

/** Shows the message in the banner and returns an error callers can throw (already shown). */
function reported(message) {
  showError(message);
  return new ReportedError(message);
}

/** Callers catch with this so an error shown in the banner is not reported twice. */
function ignoreReported(err) {
  if (!(err instanceof ReportedError)) showError(String((err && err.message) || err));
}

/** fetch() returning parsed JSON; any failure is shown in #error-banner and thrown. */
async function api(path, { method = 'GET', body } = {}) {
  // The console server answers only requests carrying this header (no other page can
  // add it without a CORS preflight, which the server never approves).
  const init = { method, headers: { Accept: 'application/json', 'X-Steplane-Console': '1' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw reported(`Request failed (${method} ${path}): ${err.message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      const parsed = JSON.parse(text);
      if (parsed && parsed.message) message = parsed.message;
    } catch { /* not JSON: show the text */ }
    throw reported(message || `${response.status} ${response.statusText} (${method} ${path})`);
  }
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    throw reported(`Invalid JSON from ${path}`);
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Every item of a paginated listing (body[key] on each page), in server order. */
async function allPages(path, key) {
  const items = [];
  let token = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = await api(path + query({ nextToken: token, maxResults: LIST_ALL_PAGE }));
    items.push(...(body[key] || []));
    token = body.nextToken;
    if (!token) break;
  }
  return items;
}

const executionPath = (id) => `/api/executions/${encodeURIComponent(id)}`;
const executionHash = (id) => `#/executions/${encodeURIComponent(id)}`;
const workflowHash = (name) => `#/workflows/${encodeURIComponent(name)}`;

// ---------------------------------------------------------------- routing

// Each render bumps the generation; async results of an older page are dropped,
// and the page's cleanup (timers) runs when leaving it.
let pageGeneration = 0;
let pageCleanup = null;

// [hash pattern, render(main, decoded capture)]; anything else shows the executions list.
const ROUTES = [
  [/^#\/executions\/(.+)$/, renderDetail],
  [/^#\/workflows\/?$/, renderWorkflows],
  [/^#\/workflows\/(.+)$/, renderWorkflow],
];

function decodePart(part) {
  try { return decodeURIComponent(part); } catch { return part; /* keep it as typed */ }
}

function route() {
  if (pageCleanup) pageCleanup();
  pageCleanup = null;
  pageGeneration += 1;
  hideError();
  const main = byId('app');
  main.replaceChildren();
  document.title = 'steplane console';
  const hash = location.hash || '#/';
  // The header bar marks the section shown.
  const section = hash.startsWith('#/workflows') ? 'workflows' : 'executions';
  for (const link of document.querySelectorAll('.topbar nav a[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const [pattern, render] of ROUTES) {
    const match = hash.match(pattern);
    if (match) {
      render(main, decodePart(match[1] ?? ''));
      return;
    }
  }
  renderList(main);
}

// ---------------------------------------------------------------- executions list

// Kept across navigation so that going back to the list restores filters and page.
const NO_FILTERS = { status: '', workflow: '', businessKey: '', startedAfter: '', startedBefore: '' };
const listState = {
  filters: { ...NO_FILTERS },
  token: null, // token of the page shown (null: first page)
  previous: [], // tokens of the pages before it, for "Previous page"
  nextToken: null,
  autoRefresh: false,
};

function labelled(id, label, control) {
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}

function selectOf(id, options, value) {
  const select = h('select', { id, name: id },
    options.map(([v, text]) => h('option', { value: v, text })));
  select.value = value;
  return select;
}

function renderList(main) {
  const f = listState.filters;
  const form = h('form', { id: 'filters', class: 'filters', onsubmit: onApplyFilters },
    labelled('filter-status', 'Status',
      selectOf('filter-status', [['', 'any'], ...STATUSES.map((x) => [x, x])], f.status)),
    labelled('filter-workflow', 'Workflow',
      selectOf('filter-workflow', [['', 'any'], ...(f.workflow ? [[f.workflow, f.workflow]] : [])],
        f.workflow)),
    labelled('filter-business-key', 'Business key',
      h('input', { id: 'filter-business-key', type: 'text', value: f.businessKey,
        placeholder: 'exact key', autocomplete: 'off' })),
    labelled('filter-started-after', 'Started after',
      h('input', { id: 'filter-started-after', type: 'datetime-local', step: 1,
        value: f.startedAfter })),
    labelled('filter-started-before', 'Started before',
      h('input', { id: 'filter-started-before', type: 'datetime-local', step: 1,
        value: f.startedBefore })),
    h('div', { class: 'field actions' },
      h('button', { id: 'apply-filters', type: 'submit', class: 'primary', text: 'Apply' })));

  const autoRefresh = h('input', { id: 'auto-refresh', type: 'checkbox',
    checked: listState.autoRefresh, onchange: (e) => setAutoRefresh(e.target.checked) });

  main.append(
    h('h1', { text: 'Executions' }),
    form,
    h('div', { class: 'toolbar' },
      h('span', { id: 'list-status', class: 'muted', text: 'Loading…' }),
      h('label', { class: 'inline' }, autoRefresh, ` Auto-refresh (${LIST_REFRESH_MS / 1000} s)`)),
    h('div', { class: 'table-wrap' },
      h('table', { id: 'executions-table', class: 'grid' },
        h('thead', {}, h('tr', {},
          ['Name', 'Workflow', 'Status', 'Started', 'Stopped', 'Business key', 'Error']
            .map((c) => h('th', { scope: 'col', text: c })))),
        h('tbody', {}))),
    h('div', { class: 'pager' },
      h('button', { id: 'prev-page', type: 'button', text: '← Previous page', onclick: onPrevPage }),
      h('button', { id: 'next-page', type: 'button', text: 'Next page →', onclick: onNextPage })));

  updatePager();
  const gen = pageGeneration;
  let timer = null;
  // Timer kept per page so that leaving the list stops it.
  function setAutoRefresh(on) {
    listState.autoRefresh = on;
    clearInterval(timer);
    if (on) timer = setInterval(() => loadExecutions(gen, true).catch(ignoreReported), LIST_REFRESH_MS);
  }
  pageCleanup = () => clearInterval(timer);
  setAutoRefresh(listState.autoRefresh);
  loadWorkflows(gen).catch(ignoreReported);
  loadExecutions(gen).catch(ignoreReported);
}

async function loadWorkflows(gen) {
  const workflows = await allPages('/api/workflows', 'workflows');
  if (gen !== pageGeneration) return;
  const select = byId('filter-workflow');
  const chosen = select.value;
  const names = [...new Set(workflows.map((w) => w.name))].sort();
  // A workflow chosen before stays selectable even if it is no longer published.
  if (chosen && !names.includes(chosen)) names.push(chosen);
  select.replaceChildren(h('option', { value: '', text: 'any' }),
    ...names.map((name) => h('option', { value: name, text: name })));
  select.value = chosen;
}

/** The API wants ISO UTC; datetime-local gives local wall time without zone. */
function toIsoUtc(local, label) {
  if (!local) return '';
  const date = new Date(local); // a zone-less date-time is parsed as local time
  if (Number.isNaN(date.getTime())) throw reported(`${label}: not a valid date and time`);
  return date.toISOString();
}

// Only the newest list request may render: a slow auto-refresh must not overwrite a page
// the operator asked for afterwards.
let listSeq = 0;
let listInFlight = 0;

async function loadExecutions(gen, background = false) {
  if (background && listInFlight > 0) return; // skip a refresh tick while a request runs
  const seq = ++listSeq;
  listInFlight += 1;
  try {
    const f = listState.filters;
    const path = '/api/executions' + query({
      workflow: f.workflow,
      status: f.status,
      businessKey: f.businessKey,
      startedAfter: toIsoUtc(f.startedAfter, 'Started after'),
      startedBefore: toIsoUtc(f.startedBefore, 'Started before'),
      nextToken: listState.token,
      maxResults: PAGE_SIZE,
    });
    const body = await api(path);
    if (gen !== pageGeneration || seq !== listSeq) return;
    const executions = body.executions || [];
    listState.nextToken = body.nextToken || null;
    byId('executions-table').tBodies[0].replaceChildren(...(executions.length
      ? executions.map(executionRow)
      : [h('tr', { class: 'empty' }, h('td', { colspan: 7, text: 'No executions match.' }))]));
    const page = listState.previous.length + 1;
    byId('list-status').textContent =
      `Page ${page} · ${executions.length} execution${executions.length === 1 ? '' : 's'}`;
    updatePager();
  } finally {
    listInFlight -= 1;
  }
}

function executionRow(e) {
  return h('tr', { 'data-execution-id': e.executionId },
    h('td', {}, h('a', { href: executionHash(e.executionId), title: e.executionId,
      text: e.name || e.executionId })),
    h('td', {}, e.workflow ? workflowLink(e.workflow) : ''),
    h('td', { 'data-testid': 'status' }, badge(e.status)),
    h('td', {}, timeCell(e.startDate)),
    h('td', {}, timeCell(e.stopDate)),
    h('td', { text: e.businessKey || '' }),
    h('td', { class: 'error-cell', title: e.error || '', text: e.error || '' }));
}

function updatePager() {
  const prev = byId('prev-page');
  const next = byId('next-page');
  prev.disabled = prev.hidden = listState.previous.length === 0;
  next.disabled = next.hidden = !listState.nextToken;
}

function onApplyFilters(event) {
  event.preventDefault();
  hideError();
  listState.filters = {
    status: byId('filter-status').value,
    workflow: byId('filter-workflow').value,
    businessKey: byId('filter-business-key').value.trim(),
    startedAfter: byId('filter-started-after').value,
    startedBefore: byId('filter-started-before').value,
  };
  // New filters invalidate every page token.
  listState.token = null;
  listState.previous = [];
  reloadPage();
}

function onNextPage() {
  if (!listState.nextToken) return;
  hideError();
  listState.previous.push(listState.token);
  listState.token = listState.nextToken;
  reloadPage();
}

/** Makes the list show the first page of one workflow's executions (for links to "#/"). */
function showExecutionsOf(workflow) {
  listState.filters = { ...NO_FILTERS, workflow };
  listState.token = null;
  listState.previous = [];
  listState.nextToken = null;
}

function onPrevPage() {
  if (listState.previous.length === 0) return;
  hideError();
  listState.token = listState.previous.pop();
  reloadPage();
}

/** Loads listState.token's page; "Next" stays off until it answers with its own token. */
function reloadPage() {
  listState.nextToken = null;
  updatePager();
  loadExecutions(pageGeneration).catch(ignoreReported);
}

// ---------------------------------------------------------------- execution page

function renderDetail(main, id) {
  const view = {
    id,
    gen: pageGeneration,
    execution: null,
    graph: null,
    events: [],
    selectedState: null, // node clicked in the graph: timeline shows only its events
    expanded: new Set(), // event ids opened in the timeline, kept across polls
    inputOriginal: '', // prefilled redrive input, to send "input" only when edited
    inputTouched: false,
    fromStates: '',
    timer: null,
    loadSeq: 0,
    busy: false,
  };
  pageCleanup = () => clearTimeout(view.timer);

  const input = h('textarea', { id: 'redrive-input', rows: 8, spellcheck: 'false',
    oninput: () => { view.inputTouched = true; byId('redrive-input-error').hidden = true; } });
  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: '← Executions' })),
    h('section', { id: 'execution-header', class: 'card' }, h('p', { class: 'muted', text: 'Loading…' })),
    h('section', { id: 'actions', class: 'card actions' },
      h('div', { class: 'buttons' },
        h('button', { id: 'stop-button', type: 'button', class: 'danger', disabled: true,
          text: 'Stop', onclick: () => onStop(view) }),
        h('button', { id: 'redrive-button', type: 'button', class: 'primary', disabled: true,
          text: 'Redrive', onclick: () => onRedrive(view) })),
      h('details', { id: 'redrive-advanced' },
        h('summary', { text: 'Advanced redrive options' }),
        labelled('redrive-from-state', 'Redrive from state',
          h('select', { id: 'redrive-from-state' },
            h('option', { value: '', text: '(where it stopped)' }))),
        labelled('redrive-input', 'Input (JSON; sent only if edited)', input),
        h('p', { id: 'redrive-input-error', class: 'field-error', role: 'alert', hidden: true }),
        h('label', { class: 'inline' },
          h('input', { id: 'redrive-latest-definition', type: 'checkbox' }),
          ' Use the newest published definition'))),
    h('section', { class: 'card' }, h('h2', { text: 'Graph' }),
      h('div', { id: 'graph', class: 'graph' }, h('p', { class: 'muted', text: 'Loading…' }))),
    h('section', { class: 'card' },
      h('div', { class: 'section-head' }, h('h2', { text: 'Timeline' }),
        h('span', { id: 'timeline-filter', class: 'muted' })),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'timeline', class: 'grid' },
          h('thead', {}, h('tr', {}, ['', 'ID', 'Time', 'Type', 'State']
            .map((c) => h('th', { scope: 'col', text: c })))),
          h('tbody', {})))));
  refreshDetail(view);
}

/** All history pages, in server order. */
function loadHistory(id) {
  return allPages(`${executionPath(id)}/history`, 'events');
}

/** Loads description, graph and history together; each part renders even if another fails. */
async function refreshDetail(view) {
  clearTimeout(view.timer);
  const seq = ++view.loadSeq;
  const [execution, graph, events] = await Promise.allSettled([
    api(executionPath(view.id)),
    api(`/console/graph/${encodeURIComponent(view.id)}`),
    loadHistory(view.id),
  ]);
  // Dropped if the user left the page, or if a newer load (after a stop/redrive) started:
  // only one load at a time then schedules the next poll.
  if (view.gen !== pageGeneration || seq !== view.loadSeq) return;
  for (const part of [execution, graph, events]) {
    if (part.status === 'rejected') ignoreReported(part.reason);
  }
  if (execution.status === 'fulfilled') {
    view.execution = execution.value;
    renderHeader(view);
  }
  if (graph.status === 'fulfilled') {
    view.graph = graph.value;
    renderGraph(view.graph, (node) => executionNodeLook(view, node));
    fillFromStates(view);
  }
  if (events.status === 'fulfilled') {
    view.events = events.value;
    renderTimeline(view);
  }
  updateActions(view);
  // Poll while it runs: the next load starts only after this one ended, so they never overlap.
  if (view.execution && view.execution.status === 'RUNNING') {
    view.timer = setTimeout(() => refreshDetail(view), DETAIL_POLL_MS);
  }
}

function fact(label, ...value) {
  return [h('dt', { text: label }), h('dd', {}, ...value)];
}

function renderHeader(view) {
  const e = view.execution;
  const facts = [
    fact('Status', badge(e.status, { id: 'execution-status' })),
    fact('Workflow', e.workflow ? workflowLink(e.workflow, { id: 'execution-workflow' }) : ''),
    fact('Execution id', h('code', { text: e.executionId || view.id })),
    fact('Started', timeCell(e.startDate)),
    fact('Stopped', timeCell(e.stopDate)),
    e.currentState ? fact('Current state', e.currentState) : null,
    fact('Business key', e.businessKey || h('span', { class: 'muted', text: '—' })),
    fact('Redrive count', String(e.redriveCount ?? 0)),
    e.definitionHash ? fact('Definition', h('code', { text: e.definitionHash })) : null,
    e.parent ? fact('Parent', h('a', { href: executionHash(e.parent.executionId),
      text: `${e.parent.executionId} (${e.parent.state}, item ${e.parent.index})` })) : null,
    e.children ? fact('Children', `${e.children.running} running, ${e.children.succeeded} ` +
      `succeeded, ${e.children.failed} failed, ${e.children.pending} pending`) : null,
    e.cost && e.cost.dollars != null
      ? fact('Cost', h('span', { id: 'execution-cost', title: JSON.stringify(e.cost),
        text: formatDollars(e.cost.dollars) }))
      : null,
  ];
  const problem = e.error || e.cause ? h('div', { class: 'problem' },
    e.error ? h('p', {}, h('strong', { text: 'Error: ' }), h('code', { id: 'execution-error', text: e.error })) : null,
    e.cause ? h('pre', { id: 'execution-cause', class: 'wrap', text: pretty(e.cause) }) : null) : null;
  // Polling redraws the header: keep the Input/Output disclosures as the operator left them.
  const header = byId('execution-header');
  const open = new Set([...header.querySelectorAll('details[open]')].map((d) => d.dataset.part));
  const data = (label, value) => value == null ? null
    : h('details', { 'data-part': label, open: open.has(label) },
      h('summary', { text: label }), h('pre', { class: 'wrap', text: pretty(value) }));
  // appendAll skips the absent parts (replaceChildren would print "null").
  header.replaceChildren();
  appendAll(header, [h('h1', { id: 'execution-name', text: e.name || view.id }),
    h('dl', { class: 'facts' }, facts), problem, data('Input', e.input), data('Output', e.output)]);
  document.title = `${e.name || view.id} · steplane console`;
  prefillInput(view);
}

/** The redrive input starts as the execution's input, until the operator edits it. */
function prefillInput(view) {
  if (view.inputTouched) return;
  const input = view.execution.input;
  view.inputOriginal = input === undefined || input === null ? '' : pretty(input);
  byId('redrive-input').value = view.inputOriginal;
}

function updateActions(view) {
  const status = view.execution ? view.execution.status : null;
  byId('stop-button').disabled = view.busy || status !== 'RUNNING';
  byId('redrive-button').disabled = view.busy || !REDRIVABLE.has(status);
}

/** Runs a stop/redrive request with the buttons disabled, then reloads everything. */
async function runAction(view, request) {
  hideError();
  view.busy = true;
  updateActions(view);
  try {
    await request();
  } catch (err) {
    ignoreReported(err);
  } finally {
    view.busy = false;
  }
  if (view.gen === pageGeneration) await refreshDetail(view);
}

function onStop(view) {
  const name = view.execution ? view.execution.name : view.id;
  if (!window.confirm(`Stop execution "${name}"? It will end as ABORTED.`)) return;
  runAction(view, () => api(`${executionPath(view.id)}/stop`, { method: 'POST', body: {} }));
}

/** The redrive body: {} unless advanced options were set; null when the input is invalid. */
function redriveBody(view) {
  const body = {};
  const fromState = byId('redrive-from-state').value;
  if (fromState) body.fromState = fromState;
  if (byId('redrive-latest-definition').checked) body.latestDefinition = true;
  const text = byId('redrive-input').value.trim();
  if (view.inputTouched && text && text !== view.inputOriginal.trim()) {
    try {
      body.input = JSON.parse(text);
    } catch (err) {
      const message = byId('redrive-input-error');
      message.textContent = `Input is not valid JSON: ${err.message}`;
      message.hidden = false;
      byId('redrive-advanced').open = true;
      return null;
    }
  }
  return body;
}

function onRedrive(view) {
  const body = redriveBody(view);
  if (body === null) return;
  runAction(view, () => api(`${executionPath(view.id)}/redrive`, { method: 'POST', body }));
}

/** The from-state choices are the graph's real states; refilled only when they change. */
function fillFromStates(view) {
  const states = (view.graph.nodes || []).map((n) => n.id).filter((id) => !PSEUDO_NODES.has(id));
  const key = JSON.stringify(states);
  if (key === view.fromStates) return;
  view.fromStates = key;
  const select = byId('redrive-from-state');
  const chosen = select.value;
  select.replaceChildren(h('option', { value: '', text: '(where it stopped)' }),
    ...states.map((id) => h('option', { value: id, text: id })));
  select.value = states.includes(chosen) ? chosen : '';
}

// ---------------------------------------------------------------- graph
// One drawing for the execution page (outcomes) and the workflow page (statistics): each
// page passes a look(node) that decorates the state boxes (see drawNode).

/** Draws a laid-out graph ({nodes, edges, width, height}) into #graph. */
function renderGraph(g, look) {
  const width = Math.max(1, Number(g.width) || 1);
  const height = Math.max(1, Number(g.height) || 1);
  // viewBox makes the drawing scale to the container; max-width stops small graphs ballooning.
  const svgRoot = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%',
    preserveAspectRatio: 'xMidYMin meet', role: 'img', 'aria-label': 'Workflow graph' },
  s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
  s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }))),
  s('g', { class: 'edges' }, (g.edges || []).map(drawEdge)),
  s('g', { class: 'nodes' }, (g.nodes || []).map((n) => drawNode(n, look(n)))));
  // Through CSSOM: the page's CSP (style-src 'self') refuses style attributes.
  svgRoot.style.maxWidth = `${width}px`;
  byId('graph').replaceChildren(svgRoot);
}

function drawEdge(edge) {
  const points = (edge.points || []).filter((p) => Array.isArray(p) && p.length >= 2);
  const kind = edge.kind || 'next';
  const group = s('g', { class: `edge edge-${kind}`, 'data-source': edge.source,
    'data-target': edge.target, 'data-kind': kind },
  s('polyline', { points: points.map(([x, y]) => `${x},${y}`).join(' '),
    'marker-end': 'url(#arrow)' }));
  if (edge.label && points.length) {
    const [x, y] = midpoint(points);
    group.append(s('text', { x, y, class: 'edge-label', 'text-anchor': 'middle',
      'dominant-baseline': 'middle', text: edge.label }));
  }
  return group;
}

/** The point half-way along a polyline's length (not just its middle vertex). */
function midpoint(points) {
  const lengths = points.slice(1).map((p, i) => Math.hypot(p[0] - points[i][0], p[1] - points[i][1]));
  let remaining = lengths.reduce((a, b) => a + b, 0) / 2;
  for (let i = 0; i < lengths.length; i += 1) {
    if (remaining <= lengths[i] && lengths[i] > 0) {
      const t = remaining / lengths[i];
      return [points[i][0] + (points[i + 1][0] - points[i][0]) * t,
        points[i][1] + (points[i + 1][1] - points[i][1]) * t];
    }
    remaining -= lengths[i];
  }
  return points[0];
}

/** A node's box: x/y are its top-left corner. */
function nodeBox(node) {
  return { x: Number(node.x) || 0, y: Number(node.y) || 0,
    width: Number(node.width) || 0, height: Number(node.height) || 0 };
}

function nodeLabel(node) {
  return String(node.label ?? node.id);
}

/**
 * One state box. The page's look decorates it: classes and attrs (added to the <g>), title
 * (its tooltip), extras (SVG shapes drawn over the box), and selected/onSelect, which make
 * it a toggle button (never the start and end pseudo-states).
 */
function drawNode(node, look = {}) {
  const pseudo = PSEUDO_NODES.has(node.id);
  const { x, y, width: w, height: hgt } = nodeBox(node);
  const label = nodeLabel(node);
  // No text measurement in plain SVG: trim long labels to roughly fit the box.
  const maxChars = Math.max(3, Math.floor(w / 7.5));
  const shown = label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label;
  const clickable = !pseudo && typeof look.onSelect === 'function';
  const group = s('g', {
    class: ['node', ...(look.classes || [])].join(' '),
    'data-state': node.id,
    ...look.attrs,
    'data-type': node.type || '',
    'aria-pressed': clickable ? String(Boolean(look.selected)) : null,
    role: clickable ? 'button' : null,
    tabindex: clickable ? 0 : null,
  },
  s('title', { text: look.title || label }),
  s('rect', { class: 'box', x, y, width: w, height: hgt, rx: pseudo ? hgt / 2 : 6,
    ry: pseudo ? hgt / 2 : 6 }),
  s('text', { x: x + w / 2, y: y + hgt / 2, 'text-anchor': 'middle',
    'dominant-baseline': 'central', text: shown }),
  look.extras || []);
  if (clickable) {
    group.addEventListener('click', look.onSelect);
    group.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); look.onSelect(); }
    });
  }
  return group;
}

/** Marks the selected state's box as pressed (null: none). */
function markSelectedNode(state) {
  for (const node of byId('graph').querySelectorAll('g.node[role=button]')) {
    node.setAttribute('aria-pressed', String(node.dataset.state === state));
  }
}

/** Execution page: the box coloured by the state's outcome; clicking it filters the timeline. */
function executionNodeLook(view, node) {
  const outcome = node.outcome || 'none';
  const type = node.type ? ` (${node.type})` : '';
  return {
    classes: [`outcome-${outcome}`],
    attrs: { 'data-outcome': outcome },
    title: `${nodeLabel(node)}${type}: ${outcome === 'none' ? 'not visited' : outcome}`,
    selected: view.selectedState === node.id,
    onSelect: () => selectState(view, node.id),
  };
}

/** Clicking the selected node again clears the filter. */
function selectState(view, state) {
  view.selectedState = view.selectedState === state ? null : state;
  markSelectedNode(view.selectedState);
  renderTimeline(view);
}

// ---------------------------------------------------------------- timeline

// Shown first in an expanded event, in this order; other fields follow.
const DETAIL_FIELDS = ['input', 'output', 'error', 'cause'];
const ROW_FIELDS = new Set(['id', 'type', 'timestamp', 'state']);

function renderTimeline(view) {
  const events = view.selectedState
    ? view.events.filter((e) => e.state === view.selectedState)
    : view.events;
  const filter = byId('timeline-filter');
  filter.replaceChildren();
  if (view.selectedState) {
    filter.append(`Events of state “${view.selectedState}” (${events.length}) `,
      h('button', { type: 'button', id: 'timeline-show-all', class: 'link',
        text: 'show all', onclick: () => selectState(view, view.selectedState) }));
  } else {
    filter.textContent = `${events.length} event${events.length === 1 ? '' : 's'}`;
  }
  const rows = [];
  for (const event of events) {
    rows.push(eventRow(view, event));
    if (view.expanded.has(event.id)) rows.push(eventDetailRow(event));
  }
  if (rows.length === 0) {
    rows.push(h('tr', { class: 'empty' }, h('td', { colspan: 5, text: 'No events.' })));
  }
  byId('timeline').tBodies[0].replaceChildren(...rows);
}

function eventRow(view, event) {
  const open = view.expanded.has(event.id);
  const toggle = () => {
    if (open) view.expanded.delete(event.id); else view.expanded.add(event.id);
    renderTimeline(view);
  };
  return h('tr', {
    class: `event${isFailureEvent(event.type) ? ' event-failed' : ''}${open ? ' open' : ''}`,
    'data-event-id': event.id, 'data-type': event.type,
    onclick: (e) => { if (!e.target.closest('button')) toggle(); },
  },
  h('td', {}, h('button', { type: 'button', class: 'expander', 'aria-expanded': String(open),
    'aria-label': `${open ? 'Hide' : 'Show'} details of event ${event.id}`,
    text: open ? '▾' : '▸', onclick: toggle })),
  h('td', { text: event.id }),
  h('td', {}, timeCell(event.timestamp, true)),
  h('td', { text: event.type }),
  h('td', { text: event.state || '' }));
}

function eventDetailRow(event) {
  const keys = [...DETAIL_FIELDS.filter((k) => k in event),
    ...Object.keys(event).filter((k) => !ROW_FIELDS.has(k) && !DETAIL_FIELDS.includes(k))];
  const blocks = keys.map((k) => h('div', { class: `detail detail-${k}` },
    h('h3', { text: k }), h('pre', { class: 'wrap', text: pretty(event[k]) })));
  return h('tr', { class: 'event-detail', 'data-detail-for': event.id },
    h('td', { colspan: 5 }, blocks.length ? blocks : h('p', { class: 'muted', text: 'No details.' })));
}

// ---------------------------------------------------------------- workflows list

function workflowLink(name, attrs = {}) {
  return h('a', { href: workflowHash(name), title: `Bottlenecks of ${name}`, ...attrs, text: name });
}

function renderWorkflows(main) {
  document.title = 'Workflows · steplane console';
  main.append(
    h('h1', { text: 'Workflows' }),
    h('div', { class: 'toolbar' },
      h('span', { id: 'workflows-status', class: 'muted', text: 'Loading…' })),
    h('div', { class: 'table-wrap' },
      h('table', { id: 'workflows-table', class: 'grid' },
        h('thead', {}, h('tr', {},
          ['Name', 'Revision', 'Published', 'Definition', 'Executions']
            .map((c) => h('th', { scope: 'col', text: c })))),
        h('tbody', {}))));
  const gen = pageGeneration;
  allPages('/api/workflows', 'workflows').then((workflows) => {
    if (gen !== pageGeneration) return;
    const sorted = [...workflows].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    byId('workflows-table').tBodies[0].replaceChildren(...(sorted.length
      ? sorted.map(workflowRow)
      : [h('tr', { class: 'empty' }, h('td', { colspan: 5, text: 'No published workflows.' }))]));
    byId('workflows-status').textContent =
      `${sorted.length} workflow${sorted.length === 1 ? '' : 's'}`;
  }).catch((err) => {
    if (gen === pageGeneration) byId('workflows-status').textContent = '';
    ignoreReported(err);
  });
}

function workflowRow(w) {
  const hash = String(w.definitionHash || '');
  return h('tr', { 'data-workflow': w.name },
    h('td', {}, workflowLink(w.name)),
    h('td', { text: w.revision ?? '' }),
    h('td', {}, timeCell(w.publishedAt)),
    h('td', {}, hash ? h('code', { title: hash, text: hash.slice(0, 12) }) : ''),
    h('td', {}, h('a', { href: '#/', text: 'list', title: `Executions of ${w.name}`,
      onclick: () => showExecutionsOf(w.name) })));
}

// ---------------------------------------------------------------- workflow bottlenecks

// [select value, label, length in ms]; the choice is kept across pages.
const STATS_WINDOWS = [
  ['1h', 'last hour', 3600e3],
  ['24h', 'last 24 hours', 24 * 3600e3],
  ['7d', 'last 7 days', 7 * 24 * 3600e3],
  ['30d', 'last 30 days', 30 * 24 * 3600e3],
];
const STANDOUT_KINDS = ['slow', 'flaky']; // drawing order: slow ring inside, flaky outside
let statsWindow = '24h';

// [stats field, header]; the table sorts on the field.
const STATS_COLUMNS = [
  ['state', 'State'], ['visits', 'Visits'], ['attempts', 'Attempts'], ['retries', 'Retries'],
  ['failures', 'Failures'], ['p50Ms', 'p50'], ['p90Ms', 'p90'], ['p99Ms', 'p99'],
  ['meanMs', 'Mean'], ['maxMs', 'Max'],
];

/** "350 ms", "1.2 ms" below a second, "1.2 s" above; "–" when there is no figure. */
function formatMs(ms) {
  if (ms == null || ms === '' || !Number.isFinite(Number(ms))) return '–';
  const n = Number(ms);
  if (n >= 999.5) {
    const seconds = n / 1000;
    return `${seconds >= 100 ? Math.round(seconds) : Number(seconds.toFixed(1))} s`;
  }
  return `${n < 10 ? Number(n.toFixed(1)) : Math.round(n)} ms`;
}

function formatRate(rate) {
  if (rate == null || !Number.isFinite(Number(rate))) return '–';
  return `${Number((Number(rate) * 100).toFixed(1))}%`;
}

function plural(n, one, many = `${one}s`) {
  return `${n ?? 0} ${n === 1 ? one : many}`;
}

/** The known standout kinds a node carries ("slow flaky" is both), in drawing order. */
function standoutKinds(node) {
  const words = String(node.standout || '').split(/\s+/);
  return STANDOUT_KINDS.filter((kind) => words.includes(kind));
}

function renderWorkflow(main, name) {
  document.title = `${name} · steplane console`;
  const page = { name, gen: pageGeneration, graph: null, selectedState: null, sort: null, seq: 0 };
  const windowSelect = selectOf('stats-window', STATS_WINDOWS.map(([v, label]) => [v, label]),
    statsWindow);
  windowSelect.addEventListener('change', () => {
    statsWindow = windowSelect.value;
    loadWorkflowStats(page);
  });
  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/workflows', text: '← Workflows' })),
    h('section', { class: 'card' },
      h('h1', { id: 'workflow-name', text: name }),
      h('div', { class: 'filters' },
        labelled('stats-window', 'Window', windowSelect),
        h('div', { class: 'field' },
          h('button', { id: 'stats-refresh', type: 'button', text: 'Refresh',
            onclick: () => loadWorkflowStats(page) }))),
      h('p', { id: 'stats-range', class: 'muted' }),
      h('p', {}, h('a', { id: 'workflow-executions', href: '#/', text: 'Executions of this workflow →',
        onclick: () => showExecutionsOf(name) }))),
    h('section', { class: 'card' },
      h('div', { class: 'section-head' }, h('h2', { text: 'Bottlenecks' }),
        h('span', { class: 'muted legend' },
          h('span', { class: 'standout-tag tag-slow', text: 'slow' }), ' highest p90 · ',
          h('span', { class: 'standout-tag tag-flaky', text: 'flaky' }),
          ' most failures and retries per visit · grey: no visits')),
      h('div', { id: 'graph', class: 'graph' }, h('p', { class: 'muted', text: 'Loading…' }))),
    h('section', { class: 'card' },
      h('h2', { text: 'States' }),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'stats-table', class: 'grid' },
          h('thead', {}, h('tr', {})),
          h('tbody', {})))));
  renderStatsHead(page);
  loadWorkflowStats(page);
}

/** Fetches the graph over the chosen window (ending now); only the newest answer renders. */
async function loadWorkflowStats(page) {
  hideError();
  const seq = ++page.seq;
  const span = (STATS_WINDOWS.find(([v]) => v === statsWindow) || STATS_WINDOWS[1])[2];
  const until = new Date();
  const since = new Date(until.getTime() - span);
  const refresh = byId('stats-refresh');
  refresh.disabled = true;
  try {
    const graph = await api(`/console/workflow-graph/${encodeURIComponent(page.name)}` +
      query({ since: since.toISOString(), until: until.toISOString() }));
    if (page.gen !== pageGeneration || seq !== page.seq) return;
    page.graph = graph;
    byId('stats-range').replaceChildren('From ', timeCell(graph.since), ' to ',
      timeCell(graph.until));
    renderGraph(graph, (node) => workflowNodeLook(page, node));
    renderStatsBody(page);
  } catch (err) {
    if (page.gen === pageGeneration && seq === page.seq && !page.graph) {
      byId('graph').replaceChildren(h('p', { class: 'muted', text: 'No graph.' }));
      byId('stats-table').tBodies[0].replaceChildren();
    }
    ignoreReported(err);
  } finally {
    if (seq === page.seq) refresh.disabled = false;
  }
}

/** Workflow page: greyed without visits, standouts ringed and badged, figures as tooltip. */
function workflowNodeLook(page, node) {
  const pseudo = PSEUDO_NODES.has(node.id);
  const kinds = standoutKinds(node);
  let state = null;
  if (!pseudo) state = node.stats ? 'has-stats' : 'no-stats';
  return {
    classes: [state, ...kinds.map((kind) => `standout-${kind}`)].filter(Boolean),
    attrs: { 'data-standout': node.standout || null },
    title: statsTitle(node),
    extras: standoutMarks(node, kinds),
    selected: page.selectedState === node.id,
    onSelect: node.stats ? () => selectStatsState(page, node.id, true) : null,
  };
}

function statsTitle(node) {
  const name = `${nodeLabel(node)}${node.type ? ` (${node.type})` : ''}`;
  const st = node.stats;
  if (PSEUDO_NODES.has(node.id)) return name;
  if (!st) return `${name}: no visits in this window`;
  return [
    `${name}${node.standout ? ` · ${node.standout}` : ''}`,
    `p50 / p90 / p99: ${formatMs(st.p50Ms)} / ${formatMs(st.p90Ms)} / ${formatMs(st.p99Ms)}`,
    `${plural(st.visits, 'visit')}, ${plural(st.retries, 'retry', 'retries')}, ` +
      `${plural(st.failures, 'failure')} (${formatRate(st.failureRate)})`,
  ].join('\n');
}

/** A thick ring around the box per standout kind, and a badge per kind on its top edge. */
function standoutMarks(node, kinds) {
  const { x, y, width, height } = nodeBox(node);
  const rings = kinds.map((kind, i) => {
    const gap = 3 + 5 * i;
    return s('rect', { class: `standout-ring ring-${kind}`, x: x - gap, y: y - gap,
      width: width + 2 * gap, height: height + 2 * gap, rx: 6 + gap, ry: 6 + gap });
  });
  let right = x + width + 4; // badges right-aligned on the top-right corner
  const badges = [...kinds].reverse().map((kind) => {
    const badgeWidth = kind.length * 6 + 10;
    right -= badgeWidth;
    const left = right;
    right -= 3;
    return s('g', { class: `node-badge badge-${kind}` },
      s('rect', { x: left, y: y - 7, width: badgeWidth, height: 14, rx: 7, ry: 7 }),
      s('text', { x: left + badgeWidth / 2, y, 'text-anchor': 'middle',
        'dominant-baseline': 'central', text: kind }));
  });
  return [...rings, ...badges];
}

function renderStatsHead(page) {
  const sort = page.sort;
  byId('stats-table').tHead.rows[0].replaceChildren(...STATS_COLUMNS.map(([key, label]) => {
    const sorted = sort && sort.key === key;
    let ariaSort = 'none';
    if (sorted) ariaSort = sort.descending ? 'descending' : 'ascending';
    return h('th', { scope: 'col', class: key === 'state' ? null : 'num', 'aria-sort': ariaSort },
      h('button', { type: 'button', class: 'sort', 'data-sort': key,
        title: `Sort by ${label}`, onclick: () => sortStats(page, key) },
      label, sorted ? (sort.descending ? ' ▾' : ' ▴') : ''));
  }));
}

/** A new column sorts figures largest first (names A–Z); the same column again reverses. */
function sortStats(page, key) {
  const same = page.sort && page.sort.key === key;
  page.sort = { key, descending: same ? !page.sort.descending : key !== 'state' };
  renderStatsHead(page);
  if (page.graph) renderStatsBody(page);
}

/** The visited states, in graph order unless sorted; absent figures sort last. */
function statsNodes(page) {
  const nodes = (page.graph.nodes || []).filter((n) => n.stats && !PSEUDO_NODES.has(n.id));
  if (!page.sort) return nodes;
  const { key, descending } = page.sort;
  const value = (n) => (key === 'state' ? String(n.stats.state ?? n.id) : n.stats[key]);
  return [...nodes].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va == null || vb == null) return (va == null) - (vb == null);
    const order = key === 'state' ? va.localeCompare(vb) : Number(va) - Number(vb);
    return descending ? -order : order;
  });
}

function renderStatsBody(page) {
  const nodes = statsNodes(page);
  byId('stats-table').tBodies[0].replaceChildren(...(nodes.length
    ? nodes.map((n) => statsRow(page, n))
    : [h('tr', { class: 'empty' },
      h('td', { colspan: STATS_COLUMNS.length, text: 'No visits in this window' }))]));
}

function statsRow(page, node) {
  const st = node.stats;
  const kinds = standoutKinds(node);
  const classes = [kinds.length ? 'standout' : null, ...kinds.map((k) => `standout-${k}`),
    page.selectedState === node.id ? 'selected' : null].filter(Boolean);
  const ms = (value) => h('td', { class: 'num', title: value == null ? null : `${value} ms`,
    text: formatMs(value) });
  return h('tr', { 'data-state': node.id, 'data-standout': node.standout || null,
    class: classes.length ? classes.join(' ') : null,
    onclick: () => selectStatsState(page, node.id, false) },
  h('td', {}, String(st.state ?? node.id),
    kinds.map((kind) => [' ', h('span', { class: `standout-tag tag-${kind}`, text: kind })])),
  h('td', { class: 'num', text: st.visits ?? '–' }),
  h('td', { class: 'num', text: st.attempts ?? '–' }),
  h('td', { class: 'num', text: st.retries ?? '–' }),
  h('td', { class: 'num', text: `${st.failures ?? '–'} (${formatRate(st.failureRate)})` }),
  ms(st.p50Ms), ms(st.p90Ms), ms(st.p99Ms), ms(st.meanMs), ms(st.maxMs));
}

/** Selecting a state (on the graph or in the table) highlights both; again clears it. */
function selectStatsState(page, state, fromGraph) {
  page.selectedState = page.selectedState === state ? null : state;
  markSelectedNode(page.selectedState);
  for (const row of byId('stats-table').tBodies[0].rows) {
    row.classList.toggle('selected', row.dataset.state === page.selectedState);
    if (fromGraph && row.dataset.state === page.selectedState) row.scrollIntoView({ block: 'nearest' });
  }
}

// ---------------------------------------------------------------- start

byId('error-banner').addEventListener('click', hideError);
window.addEventListener('hashchange', route);
route();
