// Statistics: trends by category and colour over days, weeks or months,
// escalations over time (colours as reported), and the rankings of the
// areas below (工作绩效排位) by the items each handles and by the items
// reported in each, on on-time rates, satisfaction and overdue items; for
// the county, every village of it ranked by the items it handles
// (/api/stats?rank=village).
// Charts by the vendored Chart.js, each with its numbers also as a table.
import {t, lang, name, keys, fmtPercent, fmtNumber} from './i18n.js';
import {h, fillEl, hubNow} from './dom.js';
import {api, me, query} from './api.js';

let chartLib = null;

/** Loads vendor/chart.umd.js once, on the first statistics page. */
function loadChart() {
	if (!chartLib)
		chartLib = new Promise((resolve, reject) => {
			if (window.Chart)
				return resolve(window.Chart);
			const s = h('script', {src: 'vendor/chart.umd.js'});
			s.addEventListener('load', () => resolve(window.Chart));
			s.addEventListener('error', () => {
				chartLib = null;
				reject(new Error(t('chart_loading_failed')));
			});
			document.head.append(s);
		});
	return chartLib;
}

const COLOURS = {blue: '#1a66c9', orange: '#e8830c', red: '#d2261c'};
const CATEGORY_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2',
	'#b07aa1', '#9c755f', '#edc948'];
const DAY = 86400000;
const SPANS = {day: 30 * DAY, week: 12 * 7 * DAY, month: 365 * DAY};

function dateValue(ms) {
	const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
	return d.toISOString().slice(0, 10);
}

/** A bucket's label in the current language ("2026-11-20", "2026-11";
 * anything else, such as a week, as the hub gives it). */
function bucketLabel(b) {
	let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(b);
	if (m)
		return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {month: 'short', day: 'numeric'})
			.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
	m = /^(\d{4})-(\d{2})$/.exec(b);
	if (m)
		return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {year: 'numeric', month: 'short'})
			.format(new Date(Number(m[1]), Number(m[2]) - 1, 1));
	return String(b);
}

function dataTable(buckets, series) {
	return h('details', {class: 'data-table'}, h('summary', {text: t('data_table')}),
		h('table', null,
			h('thead', null, h('tr', null, h('th', {scope: 'col', text: t('bucket')}),
				series.map(s => h('th', {scope: 'col', text: s.label})))),
			h('tbody', null, buckets.map((b, i) => h('tr', null, h('th', {scope: 'row', text: b}),
				series.map(s => h('td', {text: fmtNumber(s.data[i] || 0)})))))));
}

function chartBox(id, title, label) {
	const canvas = h('canvas', {id: `chart-${id}`, role: 'img', 'aria-label': label});
	const box = h('section', {class: 'panel chart-panel', 'aria-labelledby': `h-chart-${id}`},
		h('h2', {id: `h-chart-${id}`, text: title}),
		h('div', {class: 'chart-box'}, canvas), h('div', {class: 'table-slot'}));
	return {box, canvas};
}

// One ranking table: `id` tells the two apart (by items handled, by items
// reported); both show the same figures (docs/FIGURES.md).
function ranking(rows, by, id) {
	const sorted = rows.slice().sort((a, b) => (b[by] ?? -1) - (a[by] ?? -1)
		|| (b.closed || 0) - (a.closed || 0));
	return h('table', {class: 'ranking', id},
		h('thead', null, h('tr', null,
			h('th', {scope: 'col', text: t('rank')}),
			h('th', {scope: 'col', text: t('rank_name')}),
			h('th', {scope: 'col', text: t('rank_closed')}),
			h('th', {scope: 'col', text: t('fig_sign_rate'), class: by === 'sign_rate' ? 'sorted' : null}),
			h('th', {scope: 'col', text: t('fig_on_time'), class: by === 'on_time_rate' ? 'sorted' : null}),
			h('th', {scope: 'col', text: t('fig_satisfaction'), class: by === 'satisfaction' ? 'sorted' : null}),
			h('th', {scope: 'col', text: t('fig_overdue')}))),
		h('tbody', null, sorted.map((r, i) => h('tr', null,
			h('td', {text: String(i + 1)}),
			h('th', {scope: 'row'}, h('a', {href: `#/area/${r.code}`, text: r.name || r.code})),
			h('td', {text: fmtNumber(r.closed)}),
			h('td', null, bar(r.sign_rate)),
			h('td', null, bar(r.on_time_rate)),
			h('td', null, bar(r.satisfaction)),
			h('td', {text: fmtNumber(r.overdue ?? 0)})))));
}

function bar(x) {
	const meter = h('meter', {min: 0, max: 1, value: x ?? 0, 'aria-hidden': 'true'});
	return h('span', {class: 'rate-cell'}, meter, h('span', {text: fmtPercent(x)}));
}

export async function mount(main, ctx) {
	const user = me();
	ctx.title(t('stats_title'));
	const tree = await api(`/api/tree${query({scope: user.scope})}`).catch(() => null);
	if (!ctx.alive())
		return;
	const scopes = [{code: user.scope, name: user.scope_name || user.scope}]
		.concat((tree && tree.children) || []);
	const period = ctx.params.get('period') || 'day';
	const scopeSel = h('select', {id: 'stats-scope'}, scopes.map(s =>
		h('option', {value: s.code, text: s.name || s.code})));
	scopeSel.value = ctx.params.get('scope') || user.scope;
	const periodSel = h('select', {id: 'stats-period'}, ['day', 'week', 'month'].map(p =>
		h('option', {value: p, text: t(`period_${p}`)})));
	periodSel.value = SPANS[period] ? period : 'day';
	const now = hubNow();
	const fromIn = h('input', {type: 'date', id: 'stats-from',
		value: ctx.params.get('from') || dateValue(now - SPANS[periodSel.value])});
	const toIn = h('input', {type: 'date', id: 'stats-to', value: ctx.params.get('to') || dateValue(now)});
	const form = h('form', {class: 'controls'},
		h('label', {for: 'stats-scope', text: t('stats_scope')}), scopeSel,
		h('label', {for: 'stats-period', text: t('stats_period')}), periodSel,
		h('label', {for: 'stats-from', text: t('stats_from')}), fromIn,
		h('label', {for: 'stats-to', text: t('stats_to')}), toIn,
		h('button', {type: 'submit', text: t('stats_show')}));
	periodSel.addEventListener('change', () => {
		fromIn.value = dateValue(new Date(toIn.value).getTime() - SPANS[periodSel.value]);
	});
	form.addEventListener('submit', ev => {
		ev.preventDefault();
		location.hash = `#/stats${query({scope: scopeSel.value, period: periodSel.value,
			from: fromIn.value, to: toIn.value})}`;
	});

	const cat = chartBox('category', t('chart_category'), t('chart_category'));
	const col = chartBox('colour', t('chart_colour'), t('chart_colour'));
	const esc = chartBox('escalations', t('chart_escalations'), t('chart_escalations'));
	// Two rankings: by the items each area handles (whoever did the work)
	// and by the items reported in it.
	const rankBox = h('div'), reportedBox = h('div'), villageBox = h('div', {class: 'ranking-scroll'});
	let stats = {ranking: [], ranking_handled: []}, villages = null;
	// The county-wide ranking of villages, for a county scope only (at a
	// town the ranking of its children already is its villages').
	const countyWide = scopeSel.value.length === 6;
	const rankBy = {value: 'on_time_rate'};
	const fillRanks = () => {
		fillEl(rankBox, ranking(stats.ranking_handled || [], rankBy.value, 'ranking'));
		fillEl(reportedBox, ranking(stats.ranking || [], rankBy.value, 'ranking-reported'));
		if (villages)
			fillEl(villageBox, ranking(villages.ranking_handled || [], rankBy.value, 'ranking-villages'));
	};
	const rankButtons = h('div', {class: 'seg', role: 'group'},
		[['on_time_rate', 'rank_by_on_time'], ['sign_rate', 'rank_by_sign'],
			['satisfaction', 'rank_by_satisfaction']].map(([k, label]) =>
			h('button', {type: 'button', dataset: {by: k}, 'aria-pressed': String(k === rankBy.value),
				text: t(label), onclick: ev => {
					rankBy.value = k;
					for (const b of rankButtons.children)
						b.setAttribute('aria-pressed', String(b.dataset.by === k));
					fillRanks();
				}})));
	const message = h('p', {class: 'error', role: 'alert'});
	fillEl(main, h('div', {class: 'stats'},
		h('h1', {tabindex: '-1', text: t('stats_title')}), form, message,
		h('div', {class: 'chart-grid'}, cat.box, col.box, esc.box,
			h('section', {class: 'panel', 'aria-labelledby': 'h-ranking'},
				h('h2', {id: 'h-ranking', text: t('ranking_title')}), rankButtons,
				h('h3', {text: t('ranking_handled')}), rankBox,
				h('h3', {text: t('ranking_reported')}), reportedBox),
			countyWide ? h('section', {class: 'panel chart-wide', 'aria-labelledby': 'h-ranking-villages'},
				h('h2', {id: 'h-ranking-villages', text: t('ranking_villages')}),
				h('p', {class: 'hint', text: t('ranking_villages_hint')}), villageBox) : null)));

	const from = new Date(fromIn.value).getTime();
	const to = new Date(toIn.value).getTime() + DAY;
	let Chart;
	[stats, Chart, villages] = await Promise.all([
		api(`/api/stats${query({scope: scopeSel.value, period: periodSel.value, from, to})}`),
		loadChart().catch(e => {
			message.textContent = e.message;
			return null;
		}),
		countyWide ? api(`/api/stats${query({scope: scopeSel.value, period: periodSel.value,
			from, to, rank: 'village'})}`) : null,
	]);
	if (!ctx.alive())
		return;
	fillRanks();
	const buckets = (stats.buckets || []).map(bucketLabel);
	const catSeries = keys('category').map((k, i) => ({
		label: name('category', k), data: (stats.by_category || {})[k] || [],
		borderColor: CATEGORY_COLOURS[i], backgroundColor: CATEGORY_COLOURS[i],
	}));
	const colSeries = ['red', 'orange', 'blue'].map(k => ({
		label: name('colour', k), data: (stats.by_colour || {})[k] || [],
		backgroundColor: COLOURS[k], borderColor: COLOURS[k],
	}));
	const escSeries = [{label: t('escalations'), data: stats.escalations || [],
		backgroundColor: '#7a3fb8', borderColor: '#7a3fb8'}];
	cat.box.querySelector('.table-slot').append(dataTable(buckets, catSeries));
	col.box.querySelector('.table-slot').append(dataTable(buckets, colSeries));
	esc.box.querySelector('.table-slot').append(dataTable(buckets, escSeries));
	if (!Chart)
		return;
	const charts = [];
	const base = {
		responsive: true, maintainAspectRatio: false, animation: false,
		interaction: {mode: 'index', intersect: false},
		scales: {y: {beginAtZero: true, ticks: {precision: 0}}},
		plugins: {legend: {position: 'bottom'}},
	};
	charts.push(new Chart(cat.canvas, {type: 'line', data: {labels: buckets, datasets: catSeries},
		options: base}));
	charts.push(new Chart(col.canvas, {type: 'bar', data: {labels: buckets, datasets: colSeries},
		options: {...base, scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true,
			ticks: {precision: 0}}}}}));
	charts.push(new Chart(esc.canvas, {type: 'bar', data: {labels: buckets, datasets: escSeries},
		options: {...base, plugins: {legend: {display: false}}}}));
	return () => charts.forEach(c => c.destroy());
}
