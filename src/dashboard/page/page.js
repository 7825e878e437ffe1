// The dashboard page's script (inlined into the page at build time, next to
// uPlot). It reads the admin listener's /events stream with fetch() — so the
// token travels in an Authorization header, never in a URL or a cookie —,
// keeps the history it is sent, and redraws about once a second.
/* global uPlot */
(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = 'spindle-admin-token';
  const SPARK_SAMPLES = 300; // five minutes at one a second
  const MARK_KINDS = {
    reload: 'reload',
    'reload-done': 'reload',
    'reload-failed': 'crash',
    crash: 'crash',
    restart: 'restart',
    unhealthy: 'crash',
    scale: 'scale',
    stop: 'other',
  };
  const EVENT_NAMES = {
    reload: 'reload started',
    'reload-done': 'reload done',
    'reload-failed': 'reload failed',
    crash: 'crash',
    restart: 'restart',
    unhealthy: 'unhealthy',
    scale: 'scale',
    stop: 'stop',
  };

  const S = {
    kind: null,
    interval: 1000,
    capacity: 900,
    actions: false,
    readOnly: null,
    status: null,
    samples: [],
    events: [],
    busy: false,
  };
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let abort = null;
  let retry = 1000;
  let watchdog = 0;
  const stopped = false;

  // ---- formatting
  const fmtBytes = (n) => (n == null ? '–' : `${(n / 1048576).toFixed(1)} MiB`);
  const fmtPct = (n) => (n == null ? '–' : `${n.toFixed(1)} %`);
  const fmtMs = (n) => (n == null ? '–' : n < 10 ? `${n.toFixed(2)} ms` : `${Math.round(n)} ms`);
  const fmtRate = (n) => (n == null ? '–' : n < 10 ? n.toFixed(1) : String(Math.round(n)));
  const fmtTime = (t) => new Date(t).toLocaleTimeString([], { hour12: false });
  function fmtDuration(ms) {
    if (ms == null) return '–';
    const s = Math.floor(ms / 1000);
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${s % 60}s`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h}h ${m % 60}m`;
    return `${Math.floor(h / 24)}d ${h % 24}h`;
  }
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const seriesColor = (id) => css(`--s${((id - 1) % 8) + 1}`);

  function el(tag, props, children) {
    const e = document.createElement(tag);
    if (props) for (const [k, v] of Object.entries(props)) k === 'text' ? (e.textContent = v) : e.setAttribute(k, v);
    for (const c of children || []) e.append(c);
    return e;
  }

  // ---- connection: fetch + a streaming body, parsed as Server-Sent Events
  function setConn(state, text) {
    const c = $('conn');
    c.dataset.state = state;
    c.textContent = text;
  }

  function headers(extra) {
    const h = Object.assign({}, extra);
    if (token) h.authorization = `Bearer ${token}`;
    return h;
  }

  async function connect() {
    if (stopped) return;
    abort = new AbortController();
    const signal = abort.signal;
    let res;
    try {
      res = await fetch('events', { headers: headers(), cache: 'no-store', signal });
    } catch {
      return reconnect();
    }
    if (res.status === 401) {
      setConn('denied', token ? 'Token refused' : 'Token needed');
      showLogin(token ? 'That token was refused.' : '');
      return;
    }
    if (!res.ok || !res.body) return reconnect();
    $('login').hidden = true;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {}
    reconnect();
  }

  function dispatch(block) {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trimStart();
      else if (line.startsWith('retry:')) retry = Number(line.slice(6)) || retry;
    }
    if (!data) return;
    const msg = JSON.parse(data);
    if (event === 'init') onInit(msg);
    else if (event === 'tick') onTick(msg);
    alive();
  }

  // A connection that delivers nothing for a while is dead even if no error says so.
  function alive() {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => abort?.abort(), S.interval * 5 + 2000);
  }

  function reconnect() {
    clearTimeout(watchdog);
    abort?.abort();
    if (stopped) return;
    const state = S.status?.state;
    if (state === 'closing' || state === 'closed') setConn('stopped', 'Server stopped; retrying…');
    else setConn('reconnecting', 'Connection lost, reconnecting…');
    setTimeout(connect, retry);
  }

  function showLogin(error) {
    const form = $('login');
    form.hidden = false;
    $('login-error').textContent = error;
    $('token').focus();
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    $('token').value = '';
    sessionStorage.setItem(TOKEN_KEY, token);
    setConn('connecting', 'Connecting…');
    connect();
  });

  // ---- state
  function onInit(msg) {
    S.kind = msg.kind;
    S.interval = msg.interval;
    S.capacity = msg.capacity;
    S.actions = msg.actions;
    S.readOnly = msg.readOnly;
    S.status = msg.status;
    S.samples = msg.history.samples;
    S.events = msg.history.events;
    setConn('live', 'Live');
    renderActions();
    render(true);
  }

  function onTick(msg) {
    S.status = msg.status;
    S.samples.push(msg.sample);
    if (S.samples.length > S.capacity) S.samples.splice(0, S.samples.length - S.capacity);
    for (const e of msg.events) S.events.push(e);
    const first = S.samples[0]?.t ?? 0;
    while (S.events.length && S.events[0].t < first) S.events.shift();
    if (S.status.state === 'closed') setConn('stopped', 'Server stopped');
    else setConn('live', 'Live');
    render(false);
  }

  // ---- rendering
  function render(all) {
    renderFacts();
    renderWorkers();
    renderCharts(all);
    renderPools();
    renderEvents();
  }

  function renderFacts() {
    const s = S.status;
    const name = s.name ?? (s.queue ? `queue ${s.queue}` : '(unnamed)');
    $('title').textContent = `${name} · ${s.kind === 'work' ? 'spindle work' : 'spindle start'}`;
    document.title = `${s.name ?? 'spindle'} · spindle dashboard`;
    const facts = [
      ['State', s.state],
      ['Pid', s.pid],
      ['Uptime', fmtDuration(s.uptime)],
      ['Workers', `${s.ready} / ${s.wanted} ready`],
      ['Restarts', s.restarts],
    ];
    if (s.crashes != null) facts.push(['Crashes', s.crashes]);
    if (s.reloads) facts.push(['Reloads', `${s.reloads.ok} ok, ${s.reloads.failed} failed`]);
    if (s.supervisor) facts.push(['Supervisor RSS', fmtBytes(s.supervisor.rss)]);
    const dl = $('facts');
    dl.replaceChildren(
      ...facts.map(([k, v]) => el('div', null, [el('dt', { text: k }), el('dd', { text: String(v) })])),
    );
  }

  function renderActions() {
    $('readonly').hidden = S.actions;
    $('readonly').textContent = S.readOnly || '';
    $('controls').hidden = !S.actions;
    if ($('scale-n').value === '' && S.status) $('scale-n').value = String(S.status.wanted);
  }

  /** The last point of worker `id` in each of the last `n` samples. */
  function seriesOf(id, field, n) {
    const from = Math.max(0, S.samples.length - n);
    const xs = [];
    const ys = [];
    for (let i = from; i < S.samples.length; i++) {
      const s = S.samples[i];
      xs.push(s.t / 1000);
      const p = s.workers.find((w) => w.id === id);
      ys.push(p ? p[field] : null);
    }
    return [xs, ys];
  }

  const rows = new Map(); // worker id -> { tr, cells, sparks }

  function sparkline(box, id) {
    const opts = {
      width: 90,
      height: 24,
      pxAlign: false,
      cursor: { show: false },
      select: { show: false },
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: seriesColor(id), width: 1.5, spanGaps: false }],
    };
    return new uPlot(opts, [[], []], box);
  }

  function metricCell(label, id) {
    const td = el('td', { 'data-label': label });
    const value = el('span');
    const box = el('div', { class: 'spark', 'aria-hidden': 'true' });
    td.append(el('div', { class: 'metric' }, [value, box]));
    return { td, value, box, chart: null, id };
  }

  function renderWorkers() {
    const tbody = $('workers').querySelector('tbody');
    const seen = new Set();
    for (const w of S.status.workers) {
      seen.add(w.id);
      let row = rows.get(w.id);
      if (!row) {
        const th = el('th', { scope: 'row', 'data-label': 'Id' });
        const cells = {
          pid: el('td', { 'data-label': 'Pid', class: 'pid' }),
          state: el('td', { 'data-label': 'State' }),
          uptime: el('td', { 'data-label': 'Uptime' }),
          restarts: el('td', { 'data-label': 'Restarts' }),
          exit: el('td', { 'data-label': 'Last exit' }),
        };
        const metrics = {
          rss: metricCell('RSS', w.id),
          cpu: metricCell('CPU', w.id),
          delay: metricCell('Loop delay p99', w.id),
        };
        const tr = el('tr', { 'data-worker': String(w.id) }, [
          th,
          cells.pid,
          cells.state,
          cells.uptime,
          cells.restarts,
          cells.exit,
          metrics.rss.td,
          metrics.cpu.td,
          metrics.delay.td,
        ]);
        row = { tr, th, cells, metrics };
        rows.set(w.id, row);
      }
      // in the status's order (slot ids, then slots draining away)
      tbody.append(row.tr);
      row.th.textContent = String(w.id);
      row.tr.dataset.pid = w.pid == null ? '' : String(w.pid);
      row.cells.pid.textContent = w.pid == null ? '–' : String(w.pid);
      row.cells.state.replaceChildren(el('span', { class: `state state-${w.state}`, text: w.state }));
      row.cells.uptime.textContent = fmtDuration(w.uptime);
      row.cells.restarts.textContent = String(w.restarts ?? 0);
      const x = w.lastExit;
      row.cells.exit.textContent = x ? `${x.reason}: ${x.detail} (${fmtTime(x.at)})` : '–';
      const st = w.stats;
      row.metrics.rss.value.textContent = fmtBytes(st?.rss);
      row.metrics.cpu.value.textContent = fmtPct(st?.cpu);
      row.metrics.delay.value.textContent = fmtMs(st?.eventLoopDelay?.p99 ?? st?.delay);
      for (const [field, m] of Object.entries(row.metrics)) {
        m.chart ??= sparkline(m.box, w.id);
        m.chart.setData(seriesOf(w.id, field, SPARK_SAMPLES));
      }
    }
    for (const [id, row] of rows) {
      if (seen.has(id)) continue;
      for (const m of Object.values(row.metrics)) m.chart?.destroy();
      row.tr.remove();
      rows.delete(id);
    }
  }

  // ---- charts over time, with events marked on the time axis
  const charts = {};
  let chartIds = '';

  function workerIds() {
    const ids = new Set();
    for (const s of S.samples) for (const w of s.workers) ids.add(w.id);
    return [...ids].sort((a, b) => a - b);
  }

  function marksPlugin() {
    return {
      hooks: {
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            const [min, max] = [u.scales.x.min, u.scales.x.max];
            ctx.save();
            ctx.lineWidth = 2 * devicePixelRatio;
            const drawn = [];
            for (const e of S.events) {
              const t = e.t / 1000;
              if (t < min || t > max) continue;
              drawn.push(e.kind);
              const x = Math.round(u.valToPos(t, 'x', true));
              ctx.strokeStyle = css(`--m-${MARK_KINDS[e.kind] || 'other'}`);
              ctx.setLineDash(e.kind === 'restart' ? [4 * devicePixelRatio, 3 * devicePixelRatio] : []);
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
            }
            ctx.restore();
            // What is marked, readable by tests and scripts (the events table is the text for people).
            u.root.parentNode.dataset.marks = drawn.join(' ');
          },
        ],
      },
    };
  }

  function makeChart(key, ids, format) {
    const box = $(`chart-${key}`);
    charts[key]?.destroy();
    const axis = { stroke: css('--muted'), grid: { stroke: css('--grid') }, ticks: { stroke: css('--grid') } };
    const opts = {
      width: Math.max(200, box.clientWidth),
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        // rates and delays from zero, so that a flat line near 0 does not look like a swing
        y: key === 'rss' ? {} : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        // local wall-clock time, one line: "what happened at 14:02"
        { ...axis, space: 70, values: (_u, vals) => vals.map((v) => fmtTime(v * 1000)) },
        { ...axis, size: 56, values: (_u, vals) => vals.map(format) },
      ],
      series: [
        {},
        ...ids.map((id) => ({ label: `worker ${id}`, stroke: seriesColor(id), width: 1.5, points: { show: false } })),
      ],
      plugins: [marksPlugin()],
    };
    charts[key] = new uPlot(opts, chartData(key, ids), box);
  }

  function chartData(key, ids) {
    const xs = S.samples.map((s) => s.t / 1000);
    const scale = key === 'rss' ? 1 / 1048576 : 1;
    return [
      xs,
      ...ids.map((id) =>
        S.samples.map((s) => {
          const p = s.workers.find((w) => w.id === id);
          const v = p ? p[key] : null;
          return v == null ? null : v * scale;
        }),
      ),
    ];
  }

  function renderCharts(all) {
    const ids = workerIds();
    const key = ids.join(',');
    const fmt = {
      rate: (v) => (v == null ? '' : fmtRate(v)),
      rss: (v) => (v == null ? '' : v >= 100 ? v.toFixed(0) : v.toFixed(1)),
      delay: (v) => (v == null ? '' : v.toFixed(1)),
    };
    const rebuild = all || key !== chartIds;
    chartIds = key;
    for (const k of ['rate', 'rss', 'delay']) {
      if (rebuild || !charts[k]) makeChart(k, ids, fmt[k]);
      else charts[k].setData(chartData(k, ids));
    }
    const hasRate = S.samples.some((s) => s.workers.some((w) => w.rate != null));
    $('rate-note').hidden = hasRate;
    if (rebuild) renderLegend(ids);
  }

  function renderLegend(ids) {
    const items = ids.map((id) => {
      const i = el('i');
      i.style.background = seriesColor(id);
      return el('span', null, [i, `worker ${id}`]);
    });
    for (const [kind, name] of [
      ['reload', 'reload'],
      ['crash', 'crash'],
      ['restart', 'restart'],
      ['scale', 'scale'],
    ]) {
      const i = el('i', { class: 'mark' });
      i.style.background = css(`--m-${kind}`);
      items.push(el('span', null, [i, name]));
    }
    $('legend').replaceChildren(...items);
  }

  const resize = () => {
    for (const [k, c] of Object.entries(charts)) {
      const w = Math.max(200, $(`chart-${k}`).clientWidth);
      if (w !== c.width) c.setSize({ width: w, height: 200 });
    }
  };
  new ResizeObserver(resize).observe($('workers').parentElement);
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (S.status) {
      for (const row of rows.values()) for (const m of Object.values(row.metrics)) m.chart?.destroy();
      rows.clear();
      $('workers').querySelector('tbody').replaceChildren();
      render(true);
    }
  });

  // ---- pools and queues found in the workers (as /status reports them)
  function poolsOf(status) {
    const out = [];
    for (const p of status.pools || []) out.push(p);
    for (const w of status.workers || [])
      for (const p of w.stats?.pools || []) out.push(Object.assign({ worker: w.id }, p));
    return out;
  }

  const poolRates = new Map(); // "worker/pool" -> { total, t }

  function queuesOf(status) {
    const out = [];
    for (const q of status.queues || []) out.push(q);
    for (const w of status.workers || [])
      for (const q of w.stats?.queues || []) out.push(Object.assign({ worker: w.id }, q));
    return out;
  }

  function renderPools() {
    const pools = poolsOf(S.status);
    const queues = queuesOf(S.status);
    $('pools-none').hidden = pools.length + queues.length > 0;
    $('pools').hidden = pools.length === 0;
    $('queues').hidden = queues.length === 0;
    const now = Date.now();
    $('pools')
      .querySelector('tbody')
      .replaceChildren(
        ...pools.map((p) => {
          const key = `${p.worker ?? ''}/${p.name}`;
          const total = p.completed + p.failed;
          const before = poolRates.get(key);
          let rate = p.rate ?? null;
          if (rate == null && before && total >= before.total && now > before.t)
            rate = ((total - before.total) * 1000) / (now - before.t);
          poolRates.set(key, { total, t: now, rate });
          if (rate == null && before && total === before.total) rate = before.rate ?? null;
          return el('tr', { 'data-pool': p.name }, [
            el('td', { 'data-label': 'Worker', text: p.worker == null ? '–' : String(p.worker) }),
            el('th', { scope: 'row', 'data-label': 'Pool', text: p.name }),
            el('td', { 'data-label': 'Queued', text: String(p.queued) }),
            el('td', { 'data-label': 'Busy / idle', text: `${p.busy} / ${p.idle}` }),
            el('td', {
              'data-label': 'Tasks',
              class: 'tasks',
              text: `${p.completed}${p.failed ? ` (${p.failed} failed)` : ''}`,
            }),
            el('td', { 'data-label': 'Tasks/s', text: fmtRate(rate) }),
            el('td', { 'data-label': 'Wait p50 / p99', text: `${fmtMs(p.wait?.p50)} / ${fmtMs(p.wait?.p99)}` }),
            el('td', { 'data-label': 'Run p50 / p99', text: `${fmtMs(p.run?.p50)} / ${fmtMs(p.run?.p99)}` }),
          ]);
        }),
      );
    $('queues')
      .querySelector('tbody')
      .replaceChildren(
        ...queues.map((q) => {
          const jobs = Object.entries(q.jobs || {})
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
          const failures = el(
            'ul',
            null,
            (q.failures || [])
              .slice(-5)
              .reverse()
              .map((f) =>
                el('li', { text: `${fmtTime(f.at)} job ${f.job}: ${f.code ? `${f.code}: ` : ''}${f.message}` }),
              ),
          );
          return el('tr', { 'data-queue': q.name }, [
            el('td', { 'data-label': 'Worker', text: q.worker == null ? '–' : String(q.worker) }),
            el('th', { scope: 'row', 'data-label': 'Queue', text: q.name }),
            el('td', { 'data-label': 'Jobs by state', text: jobs || '–' }),
            el('td', { 'data-label': 'Retries', text: String(q.retries ?? 0) }),
            el('td', { 'data-label': 'Wait p50 / p99', text: `${fmtMs(q.wait?.p50)} / ${fmtMs(q.wait?.p99)}` }),
            el('td', { 'data-label': 'Run p50 / p99', text: `${fmtMs(q.run?.p50)} / ${fmtMs(q.run?.p99)}` }),
            el('td', { 'data-label': 'Recent failures' }, [q.failures?.length ? failures : '–']),
          ]);
        }),
      );
  }

  function renderEvents() {
    const list = S.events.slice(-30).reverse();
    $('events-none').hidden = list.length > 0;
    $('events').hidden = list.length === 0;
    $('events')
      .querySelector('tbody')
      .replaceChildren(
        ...list.map((e) =>
          el('tr', { 'data-kind': e.kind }, [
            el('td', { 'data-label': 'Time' }, [
              el('time', { datetime: new Date(e.t).toISOString(), text: fmtTime(e.t) }),
            ]),
            el('td', { 'data-label': 'Event' }, [
              el('span', { class: `kind kind-${e.kind}`, text: EVENT_NAMES[e.kind] || e.kind }),
            ]),
            el('td', {
              'data-label': 'Worker',
              text: e.worker == null ? '–' : `${e.worker}${e.pid ? ` (pid ${e.pid})` : ''}`,
            }),
            el('td', { 'data-label': 'Detail', text: e.detail }),
          ]),
        ),
      );
  }

  // ---- actions: confirmed in the page, sent with the token, outcome shown
  function confirmAction(text) {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.returnValue = '';
      dialog.showModal();
      $('confirm-ok').focus();
    });
  }

  function outcome(ok, text) {
    const o = $('outcome');
    o.dataset.ok = String(ok);
    o.textContent = text;
  }

  async function act(name, body, question, describe) {
    if (S.busy) return;
    if (!(await confirmAction(question))) {
      outcome(true, `${name}: cancelled`);
      return;
    }
    S.busy = true;
    for (const b of document.querySelectorAll('#controls button')) b.disabled = true;
    outcome(true, `${name}: in progress…`);
    try {
      const res = await fetch(`actions/${name}`, {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json' }),
        body: JSON.stringify(body),
        cache: 'no-store',
      });
      let reply = null;
      try {
        reply = await res.json();
      } catch {}
      if (res.ok && reply?.ok) outcome(true, describe(reply.result));
      else if (reply?.error) outcome(false, `${name} failed: ${reply.error.code}: ${reply.error.message}`);
      else outcome(false, `${name} failed: HTTP ${res.status}`);
    } catch (err) {
      outcome(false, `${name} failed: ${err.message}`);
    } finally {
      S.busy = false;
      for (const b of document.querySelectorAll('#controls button')) b.disabled = false;
    }
  }

  $('reload').addEventListener('click', () =>
    act('reload', {}, 'Reload every worker, one at a time?', (r) =>
      r?.workers ? `Reloaded: ${r.workers.map((w) => `worker ${w.id} (pid ${w.pid})`).join(', ')}` : 'Reload complete',
    ),
  );
  $('scale').addEventListener('submit', (e) => {
    e.preventDefault();
    const n = Number($('scale-n').value);
    act('scale', { workers: n }, `Scale from ${S.status?.wanted} to ${n} workers?`, (r) =>
      r ? `Scaled from ${r.previous} to ${r.workers} workers` : 'Scaled',
    );
  });
  $('stop').addEventListener('click', () =>
    act('stop', {}, 'Stop the server? Every worker drains and exits; nothing restarts it.', () => 'Stopping…'),
  );

  connect();
})();
