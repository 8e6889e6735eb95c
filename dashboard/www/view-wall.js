// The wall screen (大屏): the county at a glance in large type, needing no
// mouse. A focus panel turns through the areas below every few seconds;
// keys: F full screen, arrows to switch, space to pause, Esc to leave.
// The page is exactly one window (app.css): lists longer than their panel
// turn page by page inside it, and the overdue items (超期, 督办 when
// supervised) run along a ticker, so nothing ever falls below the fold.
// Today's intake and closures (今日受理, 今日办结) and the last seven days'
// trend come from /api/stats?days=7 (docs/FIGURES.md), read again a few
// seconds after changes and every minute (midnight turns the day).
import {t, name, fmtClock, fmtDate, fmtNumber, lang} from './i18n.js';
import {h, fillEl, weatherIcon, updateWeather, itemTable, upsertRow, bindRows,
	byDeadline, inScope, setHubNow, hubNow, OPEN_STATES} from './dom.js';
import {api, coalesce, onLive, query} from './api.js';
import {figures, areaTiles} from './view-overview.js';

/** Full screen where the browser allows it (it needs a key or a click). */
export function enterFullscreen() {
	const el = document.documentElement;
	if (!document.fullscreenElement && el.requestFullscreen)
		el.requestFullscreen().catch(() => {});
}

function toggleFullscreen() {
	if (document.fullscreenElement)
		document.exitFullscreen().catch(() => {});
	else
		enterFullscreen();
}

/** A bucket "YYYY-MM-DD" as a short day (12/7, 7 Dec). */
function dayLabel(b) {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(b || '');
	if (!m)
		return String(b);
	return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {month: 'numeric', day: 'numeric'})
		.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

/** Today's two cards: the last bucket of the trend (today, hub time). */
function todayCards(st) {
	const last = a => (a && a.length ? a[a.length - 1] : null);
	const card = (key, value) => h('div', {class: 'fig fig-today', dataset: {fig: key}},
		h('dt', {text: t(key)}), h('dd', {text: fmtNumber(value)}));
	return [card('fig_today_in', st ? last(st.received) ?? 0 : null),
		card('fig_today_done', st ? last(st.resolved) ?? 0 : null)];
}

/** The last days' intake and closures as pairs of bars, numbers above. */
function trendChart(st) {
	const days = (st && st.buckets) || [], inn = st.received || [], done = st.resolved || [];
	const max = Math.max(1, ...inn, ...done);
	const bar = (kind, v) => {
		const fill = h('span', {class: `trend-fill trend-${kind}`});
		fill.style.setProperty('--h', String((v || 0) / max));
		return h('span', {class: 'trend-col'}, h('span', {class: 'trend-v', text: fmtNumber(v || 0)}), fill);
	};
	return h('ol', {class: 'trend'}, days.map((d, i) => h('li', {dataset: {day: d},
		'aria-label': t('wall_trend_day', {day: dayLabel(d), in: inn[i] || 0, done: done[i] || 0})},
		h('span', {class: 'trend-bars', 'aria-hidden': 'true'}, bar('in', inn[i]), bar('done', done[i])),
		h('span', {class: 'trend-day', 'aria-hidden': 'true', text: dayLabel(d)}))));
}

const urgentOf = code => it => OPEN_STATES.includes(it.state)
	&& (it.colour === 'red' || it.colour === 'orange') && inScope(it, code);

export async function mount(main, ctx) {
	const every = Math.max(3, Number(ctx.params.get('every')) || 10) * 1000;
	let ov = await api(`/api/overview${query({scope: ctx.params.get('scope') || ''})}`);
	if (!ctx.alive())
		return;
	setHubNow(ov.now);
	ctx.title(t('wall_title'));

	const clock = h('span', {class: 'wall-clock', id: 'wall-clock'});
	const head = h('header', {class: 'wall-head'});
	const figs = h('div', {class: 'wall-figs'});
	const trendBox = h('div', {class: 'wall-pane'});
	const trend = h('section', {class: 'panel wall-trend', id: 'wall-trend', 'aria-labelledby': 'wall-h-trend'},
		h('h2', {id: 'wall-h-trend'}, t('wall_trend'), ' ',
			h('span', {class: 'trend-key trend-key-in', text: t('wall_trend_in')}),
			h('span', {class: 'trend-key trend-key-done', text: t('wall_trend_done')})),
		trendBox);
	let stats = null;
	const scopeArg = () => ctx.params.get('scope') || '';
	const tiles = h('div');
	const urgentBox = h('div', {class: 'wall-pane'});
	tiles.className = 'wall-pane';
	const tickerRun = h('div', {class: 'wall-ticker-run'});
	const tickerHead = h('span', {class: 'wall-ticker-head'});
	const ticker = h('section', {class: 'wall-ticker', id: 'wall-ticker', 'aria-label': t('wall_ticker')},
		tickerHead, h('div', {class: 'wall-ticker-track'}, tickerRun));
	const focus = h('section', {class: 'panel wall-focus', 'aria-live': 'polite', id: 'wall-focus'});
	const keys = h('p', {class: 'wall-keys', text: t('wall_keys')});
	let index = -1, paused = false, focusGen = 0;

	function render() {
		fillEl(head, weatherIcon(ov.scope.weather, ov.scope.code, 'xl'),
			h('h1', {text: `${ov.scope.name} · ${t('app')}`}), clock);
		const dl = figures(ov.figures);
		dl.append(...todayCards(stats));
		fillEl(figs, dl);
		fillEl(trendBox, stats ? trendChart(stats) : null);
		if (stats)
			trend.dataset.to = String(stats.to);
		fillEl(tiles, areaTiles(ov.children, false));
		const urgent = (ov.urgent || []).slice().sort(byDeadline);
		const table = itemTable(urgent, t('urgent_empty'), t('urgent_title'), {brief: true});
		table.id = 'urgent';
		bindRows(table, urgent);
		fillEl(urgentBox, table);
		const late = (ov.urgent || []).filter(it => it.overdue).sort(byDeadline);
		ticker.hidden = !late.length;
		fillEl(tickerHead, t('wall_ticker_head', {n: late.length,
			s: late.filter(it => it.supervised).length}));
		fillEl(tickerRun, late.map(it => h('span', null,
			it.supervised ? h('b', {class: 'sup', text: t('wall_supervised')}) : null,
			`${it.title || ''} · ${it.origin_name || ''}`)));
		// A steady reading speed whatever the number of items.
		tickerRun.style.setProperty('--ticker-s', `${Math.max(20, late.length * 4)}s`);
	}

	// Lists longer than their panel turn a page at a time.
	function turnPages() {
		for (const pane of [urgentBox, tiles]) {
			if (pane.scrollHeight <= pane.clientHeight + 1)
				continue;
			const next = pane.scrollTop + pane.clientHeight;
			pane.scrollTop = next >= pane.scrollHeight - 1 ? 0 : next;
		}
	}

	async function show(step) {
		const children = ov.children || [];
		if (!children.length) {
			focus.hidden = true;
			return;
		}
		index = (index + step + children.length) % children.length;
		const c = children[index];
		for (const el of tiles.querySelectorAll('[data-tile-code]'))
			el.classList.toggle('focused', el.dataset.tileCode === c.code);
		const gen = ++focusGen;
		let sub = null;
		try {
			sub = await api(`/api/overview${query({scope: c.code})}`);
		} catch (e) {
			sub = null;
		}
		if (!ctx.alive() || gen !== focusGen)
			return;
		const urgent = ((sub && sub.urgent) || (ov.urgent || []).filter(urgentOf(c.code)))
			.slice().sort(byDeadline).slice(0, 6);
		fillEl(focus,
			h('h2', null, weatherIcon(c.weather, c.code, 'l'), ' ',
				t('wall_focus', {name: c.name || c.code}), ' · ',
				h('span', {class: 'wx-name', text: name('weather', c.weather)}),
				paused ? h('span', {class: 'paused', text: ` (${t('wall_paused')})`}) : null),
			sub ? figures(sub.figures) : null,
			h('div', {class: 'wall-pane'}, itemTable(urgent, t('urgent_empty'), t('urgent_title'),
				{brief: true})));
	}

	fillEl(main, h('div', {class: 'wall-page'}, head, figs,
		h('div', {class: 'wall-grid'},
			h('section', {class: 'panel', 'aria-labelledby': 'wall-h-urgent'},
				h('h2', {id: 'wall-h-urgent', text: t('urgent_title')}), urgentBox),
			h('section', {class: 'panel', 'aria-labelledby': 'wall-h-areas'},
				h('h2', {id: 'wall-h-areas', text: t('weather_title')}), tiles),
			h('div', {class: 'wall-side'}, trend, focus)),
		ticker, keys));
	render();
	show(1);

	async function loadStats() {
		try {
			const st = await api(`/api/stats${query({scope: scopeArg(), days: 7, rank: 'none'})}`);
			if (!ctx.alive())
				return;
			stats = st;
			render();
		} catch (e) {
			// Shown as 暂无 until the next try.
		}
	}
	loadStats();
	const [refreshStats, cancelStats] = coalesce(loadStats, 5000);
	const statsTimer = setInterval(loadStats, 60000);

	const tick = () => {
		const now = hubNow();
		clock.textContent = `${fmtDate(now)} ${fmtClock(now)}`;
	};
	tick();
	const clockTimer = setInterval(tick, 1000);
	const rotate = setInterval(() => {
		if (!paused) {
			show(1);
			turnPages();
		}
	}, every);

	function onKey(ev) {
		if (ev.ctrlKey || ev.metaKey || ev.altKey)
			return;
		if (ev.key === 'f' || ev.key === 'F') {
			toggleFullscreen();
		} else if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown' || ev.key === 'PageDown') {
			show(1);
		} else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp' || ev.key === 'PageUp') {
			show(-1);
		} else if (ev.key === ' ') {
			paused = !paused;
			show(0);
		} else if (ev.key === 'Escape' && !document.fullscreenElement) {
			location.hash = '#/overview';
		} else {
			return;
		}
		ev.preventDefault();
	}
	document.addEventListener('keydown', onKey);

	// The cursor hides when the mouse rests: a wall has no one at it.
	let idle = null;
	const moved = () => {
		document.body.classList.remove('no-cursor');
		clearTimeout(idle);
		idle = setTimeout(() => document.body.classList.add('no-cursor'), 3000);
	};
	document.addEventListener('mousemove', moved);
	moved();

	const [refresh, cancelRefresh] = coalesce(async () => {
		try {
			const fresh = await api(`/api/overview${query({scope: ctx.params.get('scope') || ''})}`);
			if (!ctx.alive())
				return;
			ov = fresh;
			setHubNow(ov.now);
			render();
			show(0);
		} catch (e) {
			// The next event tries again.
		}
	}, 700);
	const stop = onLive((kind, data) => {
		if (kind === 'item' && data && data.id)
			upsertRow(urgentBox.firstChild, data, urgentOf(ov.scope.code), byDeadline);
		if (kind === 'weather' && data) {
			updateWeather(data.code, data.weather);
			return;
		}
		refresh();
		if (kind === 'item')
			refreshStats();
	});
	return () => {
		stop();
		cancelRefresh();
		cancelStats();
		clearInterval(statsTimer);
		clearInterval(clockTimer);
		clearInterval(rotate);
		clearTimeout(idle);
		document.removeEventListener('keydown', onKey);
		document.removeEventListener('mousemove', moved);
		document.body.classList.remove('no-cursor');
		if (document.fullscreenElement)
			document.exitFullscreen().catch(() => {});
	};
}
