// The overview (一屏统览) of the user's area and the drill-down pages of
// each town, village and group below it: weather, headline figures, areas
// below, red and orange items counting down, open items, stations offline
// and pattern alerts, kept up to date from the live stream.
import {t, name, fmtNumber, fmtPercent, fmtTime} from './i18n.js';
import {h, fillEl, weatherIcon, updateWeather, itemTable, upsertRow, bindRows,
	byDeadline, byNewest, inScope, setHubNow, OPEN_STATES} from './dom.js';
import {api, coalesce, me, onLive, query} from './api.js';

const names = new Map(); // code -> name, for the breadcrumbs

export function rememberNames(area) {
	if (area && area.code)
		names.set(area.code, area.name);
	for (const c of (area && area.children) || [])
		names.set(c.code, c.name);
}

/** The headline figures as a list of cards. */
export function figures(f) {
	f = f || {};
	const card = (key, value, cls) => h('div', {class: `fig ${cls || ''}`, dataset: {fig: key}},
		h('dt', {text: t(key)}), h('dd', {text: value}));
	return h('dl', {class: 'figures'},
		card('fig_collected', fmtNumber(f.collected)),
		card('fig_solved', fmtNumber(f.solved)),
		card('fig_mediated', fmtNumber(f.mediated)),
		card('fig_open', fmtNumber(f.open)),
		card('fig_on_time', fmtPercent(f.on_time_rate), 'rate'),
		card('fig_satisfaction', fmtPercent(f.satisfaction), 'rate'));
}

function openCounts(open) {
	open = open || {};
	return h('span', {class: 'counts'},
		['red', 'orange', 'blue'].map(c => h('span', {
			class: `count count-${c}${open[c] ? '' : ' zero'}`,
			title: `${name('colour', c)} ${t('open_short')}`,
			text: `${name('colour', c)} ${open[c] || 0}`,
		})));
}

/** The weather tiles of the areas below, each a link one level down. */
export function areaTiles(children, linkable) {
	if (!children || !children.length)
		return h('p', {class: 'empty', text: t('children_none')});
	return h('ul', {class: 'tiles'}, children.map(c => {
		const w = c.weather || 'clear';
		const inner = [
			weatherIcon(w, c.code, 'l'),
			h('span', {class: 'tile-name', text: c.name || c.code}),
			h('span', {class: 'wx-name', text: name('weather', w)}),
			openCounts(c.open),
			c.stations != null ? h('span', {class: 'stations'},
				t('stations', {n: c.stations}),
				c.offline ? h('span', {class: 'off', text: ' · ' + t('offline_short', {n: c.offline})}) : null)
				: null,
		];
		const attrs = {class: `tile tile-${w}`, dataset: {tileCode: c.code}};
		return h('li', null, linkable === false ? h('div', attrs, inner)
			: h('a', {...attrs, href: `#/area/${c.code}`}, inner));
	}));
}

function offlineList(off) {
	off = off || {count: 0, stations: []};
	if (!off.count)
		return h('p', {class: 'empty ok', text: t('offline_none')});
	return h('div', null,
		h('p', {class: 'offline-count', text: t('offline_count', {n: off.count})}),
		h('ul', {class: 'offline'}, (off.stations || []).map(s => h('li', null,
			h('span', {class: 'st-name', text: s.name || s.code}),
			h('span', {class: 'st-code', text: s.code}),
			h('span', {class: 'st-seen', text: s.last_seen
				? `${t('last_seen')} ${fmtTime(s.last_seen)}` : t('never_seen')})))));
}

function alertList(alerts) {
	if (!alerts || !alerts.length)
		return null;
	return h('ul', {class: 'alerts'}, alerts.map(a => h('li', {class: `alert alert-${a.colour}`},
		h('time', {text: fmtTime(a.at)}), ' ',
		t('alert_line', {area: a.area_name || a.area, category: name('category', a.category),
			colour: name('colour', a.colour), count: a.count}))));
}

function crumbs(code, top) {
	const levels = [6, 9, 12, 15].filter(n => n >= top.length && n < code.length);
	const nav = h('nav', {class: 'crumbs', 'aria-label': 'breadcrumb'});
	const ol = h('ol');
	for (const n of levels) {
		const c = code.slice(0, n);
		const a = h('a', {href: n === top.length ? '#/overview' : `#/area/${c}`,
			text: names.get(c) || c, dataset: {code: c}});
		ol.append(h('li', null, a));
		if (!names.has(c))
			api(`/api/tree${query({scope: c})}`).then(tr => {
				names.set(c, tr.name);
				a.textContent = tr.name;
			}).catch(() => {});
	}
	if (!levels.length)
		return null;
	nav.append(ol);
	return nav;
}

const isUrgent = code => it => OPEN_STATES.includes(it.state)
	&& (it.colour === 'red' || it.colour === 'orange') && inScope(it, code);
const isOpen = code => it => OPEN_STATES.includes(it.state) && inScope(it, code);

/** The hub's storage (GET /api/system): the disk, the WAL, the last
 * checkpoint; a full disk or a failed checkpoint stands out. */
function systemList(st) {
	if (!st || !st.known)
		return h('p', {class: 'empty', text: t('system_unknown')});
	const row = (key, label, value, bad) => h('div', {dataset: {sys: key},
		class: bad ? 'sys-bad' : null}, h('dt', {text: label}), h('dd', {text: value}));
	const mib = n => `${fmtNumber(Math.round(n / 1048576 * 10) / 10)} MiB`;
	return h('dl', {class: 'system'},
		row('disk', t('system_disk'), st.disk === 'full'
			? t('system_disk_full', {since: fmtTime(st.full_since)}) : t('system_disk_ok'),
			st.disk === 'full'),
		row('wal', t('system_wal'), mib(st.wal_bytes)),
		row('checkpoint', t('system_checkpoint'), st.checkpoints > 0
			? t(st.checkpoint === 'ok' ? 'system_ckpt_ok' : 'system_ckpt_failed',
				{at: fmtTime(st.checkpoint_at)}) : t('none_yet'),
			st.checkpoints > 0 && st.checkpoint !== 'ok'),
		row('failed', t('system_failed'), t('system_failed_n',
			{n: fmtNumber(st.failed), all: fmtNumber(st.checkpoints)}), st.failed > 0));
}

export async function mount(main, ctx) {
	const user = me();
	const code = ctx.name === 'area' && ctx.arg ? ctx.arg : user.scope;
	const drill = code !== user.scope;
	// The hub's storage, for the county's own page: its operators' view.
	const county = !drill && user.scope.length === 6;
	const load = () => Promise.all([
		api(`/api/overview${query({scope: drill ? code : ''})}`),
		drill ? api(`/api/items${query({scope: code, state: 'open', limit: 100})}`) : null,
		county ? api('/api/system').catch(() => null) : null,
	]);
	let [ov, open, sys] = await load();
	if (!ctx.alive())
		return;
	setHubNow(ov.now);
	rememberNames(ov.scope);
	rememberNames(ov);

	const sec = (id, title, body) => h('section', {class: `panel panel-${id}`, id: `sec-${id}`,
		'aria-labelledby': `h-${id}`}, h('h2', {id: `h-${id}`, text: title}), body);
	const head = h('div', {class: 'scope-head'});
	const figs = h('div');
	const tiles = h('div');
	const urgentBox = h('div');
	const openBox = h('div');
	const offBox = h('div');
	const alertBox = h('div');
	const sysBox = h('div');

	function render() {
		const s = ov.scope;
		ctx.title(s.name || s.code);
		fillEl(head, weatherIcon(s.weather, s.code, 'xl'),
			h('div', null,
				h('h1', {id: 'scope-name', tabindex: '-1', text: s.name || s.code}),
				h('p', {class: 'scope-meta'},
					h('span', {text: t('scope_level', {tier: name('tier', s.tier)})}), ' · ',
					h('span', {class: 'wx-name', text: name('weather', s.weather),
						dataset: {}}), ' · ', h('span', {class: 'code', text: s.code}))));
		head.dataset.tileCode = s.code;
		head.className = `scope-head tile-${s.weather || 'clear'}`;
		fillEl(figs, figures(ov.figures));
		fillEl(tiles, areaTiles(ov.children));
		const urgent = (ov.urgent || []).slice().sort(byDeadline);
		const ut = itemTable(urgent, t('urgent_empty'), t('urgent_title'));
		ut.id = 'urgent';
		bindRows(ut, urgent);
		fillEl(urgentBox, ut);
		if (open) {
			const items = open.items || [];
			const ot = itemTable(items, t('open_empty'), t('open_title'));
			ot.id = 'open-items';
			bindRows(ot, items);
			fillEl(openBox, ot, open.total > items.length
				? h('p', {class: 'more', text: t('more_items', {total: open.total, n: items.length})}) : null);
		}
		fillEl(offBox, offlineList(ov.offline));
		fillEl(alertBox, alertList(ov.alerts));
		if (county)
			fillEl(sysBox, systemList(sys && sys.storage));
		alertBox.parentElement.hidden = !(ov.alerts && ov.alerts.length);
	}

	const page = h('div', {class: 'overview'},
		crumbs(code, user.scope), head, figs,
		h('div', {class: 'columns'},
			h('div', {class: 'col-main'},
				sec('urgent', t('urgent_title'), urgentBox),
				drill ? sec('open', t('open_title'), openBox) : null,
				sec('areas', t('areas_title'), tiles)),
			h('div', {class: 'col-side'},
				sec('alerts', t('alerts_title'), alertBox),
				sec('offline', t('offline_title'), offBox),
				county ? sec('system', t('system_title'), sysBox) : null)));
	fillEl(main, page);
	render();

	// Live: an item is put in place at once; the figures, tiles and lists
	// are then fetched again (once for a burst of events).
	const [refresh, cancelRefresh] = coalesce(async () => {
		try {
			const fresh = await load();
			if (!ctx.alive())
				return;
			[ov, open, sys] = fresh;
			setHubNow(ov.now);
			rememberNames(ov);
			render();
		} catch (e) {
			// The next event or the reconnect tries again.
		}
	}, 700);
	const stop = onLive((kind, data) => {
		if (kind === 'item' && data && data.id) {
			if (upsertRow(urgentBox.firstChild, data, isUrgent(code), byDeadline) && data.colour === 'red')
				ctx.announce(t('new_red', {title: data.title || data.id}));
			if (open)
				upsertRow(openBox.firstChild, data, isOpen(code), byNewest);
			refresh();
		} else if (kind === 'weather' && data) {
			updateWeather(data.code, data.weather);
		} else {
			refresh();
		}
	});
	return () => {
		stop();
		cancelRefresh();
	};
}
