// The dashboard: the public GraphQL API only (fetch for queries, graphql-ws for subscriptions),
// with the API key kept in localStorage and the view's settings in the URL's fragment.
import uPlot from './vendor/uPlot.esm.js';

const GRAPHQL_URL = new URL('../graphql', location.href);
const KEY_STORAGE = 'pulsegraph.apiKey';
const PALETTE = [
  '#4f46e5',
  '#0891b2',
  '#d97706',
  '#db2777',
  '#16a34a',
  '#7c3aed',
  '#dc2626',
  '#475569',
];
/** Lines drawn at most; the table lists every group the API returns. */
const MAX_LINES = PALETTE.length;
/** Aggregates whose empty bucket means zero, and whose buckets add up over a range. */
const ADDITIVE = new Set(['COUNT', 'SUM']);
const DEFAULTS = {
  event: '',
  aggregate: 'COUNT',
  window: '5m',
  interval: '1m',
  range: '1h',
  filter: '',
  groupBy: '',
};

const LIVE = `subscription DashboardLive($metric: MetricInput!, $window: String!) {
  live(metric: $metric, window: $window, every: "1s") { group value windowStart windowEnd }
}`;
const SERIES = `subscription DashboardSeries($metric: MetricInput!, $since: DateTime!, $interval: String!) {
  series(metric: $metric, since: $since, interval: $interval) { group point { time value } final }
}`;
const EVENT_NAMES = 'query DashboardEventNames { eventNames(limit: 100) }';
const FRESHNESS = 'query DashboardFreshness { freshness { foldedThrough lagMs behind } }';

const $ = (id) => document.getElementById(id);
const controls = ['event', 'aggregate', 'window', 'interval', 'range', 'filter', 'groupBy'];

let apiKey = localStorage.getItem(KEY_STORAGE) ?? '';
let client;
let stopView = () => {};
let view;

// ---- formatting ---------------------------------------------------------------------------

const format = (value) => {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  return value.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 0 : 2 });
};
const groupName = (group) => group ?? 'all';
const seconds = (duration) => {
  const match = /^(\d+)(s|m|h|d)$/.exec(duration);
  return match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2]] : NaN;
};

function setStatus(text, kind = 'info') {
  const status = $('status');
  status.textContent = text;
  status.dataset.kind = kind;
}

function setBadge(id, text, level) {
  const badge = $(id);
  badge.querySelector('.text').textContent = text;
  badge.dataset.level = level;
}

function showFreshness(freshness) {
  if (!freshness) return;
  const { foldedThrough, lagMs, behind } = freshness;
  if (foldedThrough === null)
    return setBadge('freshness', `nothing folded yet · ${behind} behind`, 'warn');
  const lag = lagMs < 1000 ? `${lagMs} ms` : `${(lagMs / 1000).toFixed(1)} s`;
  const at = new Date(foldedThrough).toLocaleTimeString('en-GB');
  const level = lagMs < 5000 ? 'ok' : lagMs < 60000 ? 'warn' : 'bad';
  setBadge('freshness', `folded through ${at} · lag ${lag} · ${behind} behind`, level);
  $('freshness').dataset.lagMs = String(lagMs);
}

// ---- the API --------------------------------------------------------------------------------

const authorization = () => (apiKey ? { authorization: `Bearer ${apiKey}` } : {});

async function query(text, variables = {}) {
  const response = await fetch(GRAPHQL_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization() },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(describeErrors(body.errors));
  return body;
}

function describeErrors(errors) {
  const [first] = errors;
  const code = first.extensions?.code;
  if (code === 'UNAUTHENTICATED') return 'The API key was refused: set it in Settings.';
  return `${code ? `${code}: ` : ''}${first.message}`;
}

function connect() {
  client?.dispose();
  client = graphqlWs.createClient({
    url: GRAPHQL_URL.href.replace(/^http/, 'ws'),
    connectionParams: authorization,
    lazy: true,
    retryAttempts: Infinity,
    on: {
      connected: () => setBadge('connection', 'live', 'ok'),
      closed: (event) => {
        if (event?.code === 4401) {
          setBadge('connection', 'key refused', 'bad');
          setStatus('The API key was refused: set it in Settings.', 'error');
        } else setBadge('connection', 'reconnecting', 'warn');
      },
    },
  });
}

/** Subscribes; returns the function that ends the subscription. */
function subscribe(text, variables, onResult) {
  return client.subscribe(
    { query: text, variables },
    {
      next: (result) => {
        if (result.errors?.length) return setStatus(describeErrors(result.errors), 'error');
        showFreshness(result.extensions?.freshness);
        onResult(result.data);
      },
      error: (error) => {
        const message = Array.isArray(error)
          ? describeErrors(error)
          : error?.reason || error?.message;
        if (message) setStatus(message, 'error');
      },
      complete: () => {},
    },
  );
}

// ---- the view's settings ------------------------------------------------------------------

function readSettings() {
  const params = new URLSearchParams(location.hash.slice(1));
  return Object.fromEntries(controls.map((name) => [name, params.get(name) ?? DEFAULTS[name]]));
}

function writeSettings(settings) {
  const params = new URLSearchParams();
  for (const name of controls) if (settings[name]) params.set(name, settings[name]);
  history.replaceState(null, '', `#${params}`);
}

/** `country=DE|FR, plan=pro` → [{key: 'country', in: ['DE','FR']}, {key: 'plan', equals: 'pro'}]. */
function parseFilter(text) {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [key, values] = part.split('=').map((s) => s?.trim());
      if (!key || !values) throw new Error(`filter "${part}": write key=value or key=a|b`);
      const list = values
        .split('|')
        .map((v) => v.trim())
        .filter(Boolean);
      return list.length === 1 ? { key, equals: list[0] } : { key, in: list };
    });
}

async function loadEventNames(selected) {
  const select = $('event');
  try {
    const { data } = await query(EVENT_NAMES);
    const names =
      data.eventNames.includes(selected) || !selected
        ? data.eventNames
        : [selected, ...data.eventNames];
    const current = select.value;
    select.replaceChildren(...names.map((name) => new Option(name, name)));
    select.value = names.includes(current) ? current : selected || names[0] || '';
    if (names.length === 0)
      setStatus('No events yet: ingest some through the API, then pick one here.');
    return select.value;
  } catch (error) {
    setStatus(error.message, 'error');
    return selected;
  }
}

// ---- rendering ----------------------------------------------------------------------------

function renderTiles(settings, total, groups) {
  const tiles = [];
  const tile = (label, value, group, primary) => {
    const element = document.createElement('div');
    element.className = primary ? 'tile card primary' : 'tile card';
    element.dataset.tile = '';
    element.dataset.group = group;
    element.dataset.value = value === null ? '' : String(value);
    const name = document.createElement('span');
    name.className = 'tile-label';
    name.textContent = label;
    const number = document.createElement('span');
    number.className = 'tile-value';
    number.textContent = format(value);
    element.append(name, number);
    tiles.push(element);
  };
  const what = `${settings.aggregate.toLowerCase()} · last ${settings.window}`;
  tile(`${settings.event} ${what}`, total, 'total', true);
  // Without groupBy the one group is the total itself.
  if (settings.groupBy)
    for (const { group, value } of groups.slice(0, 5))
      tile(`${groupName(group)} · ${what}`, value, groupName(group));
  $('tiles').replaceChildren(...tiles);
}

function renderTable(settings, groups, lastBuckets) {
  const body = $('groups').querySelector('tbody');
  const sum = groups.reduce((acc, g) => acc + (g.value ?? 0), 0);
  const share = ADDITIVE.has(settings.aggregate) && sum > 0;
  body.replaceChildren(
    ...groups.map(({ group, value }, index) => {
      const row = document.createElement('tr');
      const last = lastBuckets.get(group) ?? null;
      row.dataset.group = groupName(group);
      row.dataset.last = last === null ? '' : String(last);
      const cells = [String(index + 1), groupName(group), format(value), '', format(last)];
      for (const [i, text] of cells.entries()) {
        const cell = document.createElement('td');
        cell.textContent = text;
        if (i === 2 || i === 4) cell.className = 'num';
        if (i === 3) {
          cell.className = 'share';
          if (share) {
            const bar = document.createElement('span');
            bar.className = 'bar';
            bar.style.width = `${Math.round((100 * (value ?? 0)) / sum)}%`;
            cell.append(bar);
          }
        }
        row.append(cell);
      }
      return row;
    }),
  );
  $('table-hint').textContent = settings.groupBy
    ? `by ${settings.groupBy}, last ${settings.window}`
    : 'set "Group by" to split the numbers';
}

/** The series chart: one line per group, redrawn at most once per frame; `onDraw` after each. */
function createChart(settings, onDraw) {
  const element = $('chart');
  const points = new Map(); // group → Map(time ms → value)
  let plot;
  let drawn = '';
  let frame = 0;

  const lines = () => {
    const cutoff = Date.now() - seconds(settings.range) * 1000;
    const totals = [...points].map(([group, byTime]) => {
      let total = 0;
      let last = null;
      for (const [time, value] of [...byTime].sort((a, b) => a[0] - b[0])) {
        if (time < cutoff) byTime.delete(time);
        else {
          total += value ?? 0;
          last = value;
        }
      }
      return { group, byTime, total, last };
    });
    return totals.sort((a, b) => b.total - a.total).slice(0, MAX_LINES);
  };

  const draw = () => {
    frame = 0;
    const shown = lines();
    const times = [...new Set(shown.flatMap((line) => [...line.byTime.keys()]))].sort(
      (a, b) => a - b,
    );
    const zero = ADDITIVE.has(settings.aggregate) ? 0 : null;
    const data = [
      times.map((t) => t / 1000),
      ...shown.map((line) => times.map((t) => line.byTime.get(t) ?? zero)),
    ];
    const key = shown.map((line) => groupName(line.group)).join('\u0000');
    if (!plot || key !== drawn) {
      plot?.destroy();
      drawn = key;
      plot = new uPlot(options(settings, shown, element.clientWidth), data, element);
    } else plot.setData(data);
    element.dataset.points = String(times.length);
    renderLegend(settings, shown);
    onDraw();
  };

  const resize = new ResizeObserver(() =>
    plot?.setSize({ width: element.clientWidth, height: 320 }),
  );
  resize.observe(element);

  return {
    add(update) {
      let byTime = points.get(update.group);
      if (!byTime) points.set(update.group, (byTime = new Map()));
      byTime.set(Date.parse(update.point.time), update.point.value);
      frame ||= requestAnimationFrame(draw);
    },
    /** The latest bucket of each group. */
    lastBuckets: () =>
      new Map(
        [...points].map(([group, byTime]) => [
          group,
          byTime.get(Math.max(...byTime.keys())) ?? null,
        ]),
      ),
    destroy() {
      cancelAnimationFrame(frame);
      resize.disconnect();
      plot?.destroy();
      element.replaceChildren();
      $('legend').replaceChildren();
    },
  };
}

function options(settings, shown, width) {
  const axis = {
    stroke: '#64748b',
    grid: { stroke: '#e2e8f0', width: 1 },
    ticks: { stroke: '#e2e8f0' },
  };
  return {
    width: Math.max(width, 300),
    height: 320,
    legend: { show: false },
    cursor: { points: { size: 6 } },
    scales: {
      x: { time: true },
      y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
    },
    axes: [axis, { ...axis, size: 64, values: (u, ticks) => ticks.map(format) }],
    series: [
      {},
      ...shown.map((line, i) => ({
        label: groupName(line.group),
        stroke: PALETTE[i],
        width: 2,
        fill: shown.length === 1 ? `${PALETTE[i]}1f` : undefined,
        points: { show: false },
        spanGaps: false,
      })),
    ],
  };
}

function renderLegend(settings, shown) {
  const additive = ADDITIVE.has(settings.aggregate);
  $('legend').replaceChildren(
    ...shown.map((line, i) => {
      const item = document.createElement('li');
      item.dataset.seriesGroup = groupName(line.group);
      item.dataset.total = String(line.total);
      item.dataset.last = line.last === null ? '' : String(line.last);
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = PALETTE[i];
      const text = document.createElement('span');
      text.textContent = additive
        ? `${groupName(line.group)}: ${format(line.total)} in ${settings.range} · last ${format(line.last)}`
        : `${groupName(line.group)}: last ${format(line.last)}`;
      item.append(swatch, text);
      return item;
    }),
  );
}

// ---- one view: the subscriptions of the current settings -----------------------------------

function startView(settings) {
  let metric;
  try {
    metric = {
      event: settings.event,
      aggregate: settings.aggregate,
      filter: parseFilter(settings.filter),
    };
  } catch (error) {
    setStatus(error.message, 'error');
    return () => {};
  }
  if (settings.groupBy) metric.groupBy = settings.groupBy;
  const { groupBy: _, ...totalMetric } = metric;
  $('chart-title').textContent =
    `${settings.event} · ${settings.aggregate.toLowerCase()} per ${settings.interval}` +
    (settings.groupBy ? ` by ${settings.groupBy}` : '');
  setStatus('');

  let total = null;
  let groups = [];
  // The live subscriptions push only while their numbers change: the table's last buckets follow
  // the chart's updates too.
  const chart = createChart(settings, () => renderTable(settings, groups, chart.lastBuckets()));
  const render = () => {
    renderTiles(settings, total, groups);
    renderTable(settings, groups, chart.lastBuckets());
  };
  const rangeMs = seconds(settings.range) * 1000;
  const since = new Date(Date.now() - rangeMs).toISOString();
  const stops = [
    subscribe(SERIES, { metric, since, interval: settings.interval }, (data) =>
      chart.add(data.series),
    ),
    subscribe(LIVE, { metric: totalMetric, window: settings.window }, (data) => {
      total = data.live[0]?.value ?? null;
      if (!settings.groupBy) groups = data.live;
      render();
    }),
  ];
  if (settings.groupBy)
    stops.push(
      subscribe(LIVE, { metric, window: settings.window }, (data) => {
        groups = [...data.live].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
        render();
      }),
    );
  render();
  return () => {
    for (const stop of stops) stop();
    chart.destroy();
  };
}

async function restart() {
  stopView();
  stopView = () => {};
  const settings = Object.fromEntries(controls.map((name) => [name, $(name).value.trim()]));
  writeSettings(settings);
  view = settings;
  if (!settings.event) return;
  stopView = startView(settings);
}

// ---- start --------------------------------------------------------------------------------

async function main() {
  const settings = readSettings();
  for (const name of controls) if (name !== 'event') $(name).value = settings[name];
  $('api-key').value = apiKey;
  $('settings-toggle').addEventListener(
    'click',
    () => ($('settings').hidden = !$('settings').hidden),
  );
  $('settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    apiKey = $('api-key').value.trim();
    localStorage.setItem(KEY_STORAGE, apiKey);
    $('settings').hidden = true;
    void start(view?.event || settings.event);
  });
  $('api-key-clear').addEventListener('click', () => {
    apiKey = '';
    $('api-key').value = '';
    localStorage.removeItem(KEY_STORAGE);
    void start(view?.event || settings.event);
  });
  $('controls').addEventListener('change', () => void restart());
  $('controls').addEventListener('submit', (event) => {
    event.preventDefault();
    void restart();
  });
  setInterval(() => void loadEventNames($('event').value), 30_000);
  await start(settings.event);
}

async function start(event) {
  connect();
  await loadEventNames(event);
  query(FRESHNESS).then(
    (body) => showFreshness(body.data.freshness),
    () => {},
  );
  await restart();
}

void main();
