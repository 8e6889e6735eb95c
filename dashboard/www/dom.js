// Building the page: elements from data with text nodes only (never HTML
// from strings, so that what residents write is always shown as text), the
// shared pieces (weather icon, colour badge, item rows) and the countdowns,
// which tick client-side on hub time.
import {t, name, fmtDuration, fmtTime} from './i18n.js';

/** An element: h('a', {href, class, text, onclick}, ...children). Children
 * and `text` become text nodes; attributes are set one by one. */
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v == null || v === false)
			continue;
		if (k === 'class')
			el.className = v;
		else if (k === 'text')
			el.textContent = v;
		else if (k === 'dataset')
			Object.assign(el.dataset, v);
		else if (k.startsWith('on') && typeof v === 'function')
			el.addEventListener(k.slice(2), v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat(Infinity)) {
		if (c == null || c === false)
			continue;
		el.append(c instanceof Node ? c : String(c));
	}
	return el;
}

export function clear(el) {
	while (el.firstChild)
		el.firstChild.remove();
	return el;
}

/** Replaces el's children. */
export function fillEl(el, ...children) {
	clear(el);
	for (const c of children.flat(Infinity))
		if (c != null && c !== false)
			el.append(c instanceof Node ? c : String(c));
	return el;
}

const WEATHERS = ['clear', 'cloudy', 'overcast', 'rain', 'storm'];

/** The weather icon of an area, marked with its code so that live weather
 * events can change it in place. */
export function weatherIcon(weather, code, size) {
	const w = WEATHERS.includes(weather) ? weather : 'clear';
	return h('img', {
		class: `wx wx-${size || 'm'}`, src: `icons/${w}.svg`, alt: name('weather', w),
		title: name('weather', w), dataset: code ? {wxCode: code, wx: w} : {wx: w},
	});
}

/** Changes every weather icon and tile of `code` on the page. */
export function updateWeather(code, weather) {
	if (!WEATHERS.includes(weather))
		return;
	for (const img of document.querySelectorAll('img[data-wx-code]')) {
		if (img.dataset.wxCode !== code)
			continue;
		img.src = `icons/${weather}.svg`;
		img.alt = img.title = name('weather', weather);
		img.dataset.wx = weather;
	}
	for (const el of document.querySelectorAll('[data-tile-code]')) {
		if (el.dataset.tileCode !== code)
			continue;
		for (const w of WEATHERS)
			el.classList.toggle(`tile-${w}`, w === weather);
		const label = el.querySelector('.wx-name');
		if (label)
			label.textContent = name('weather', weather);
	}
}

export function colourBadge(colour) {
	return h('span', {class: `badge badge-${colour}`, text: name('colour', colour)});
}

export function stateBadge(state) {
	return h('span', {class: `state state-${state}`, text: name('state', state)});
}

// ------------------------------------------------------------ hub time
// The hub's clock decides deadlines. Each answer that carries the hub's
// `now` corrects the offset between it and this browser's clock, so that a
// wrong PC clock does not make items look overdue.
let offset = null;

export function setHubNow(now) {
	if (typeof now !== 'number')
		return;
	const o = now - Date.now();
	// Each reading is late by the answer's travel time: a small difference
	// is that, not the clocks moving apart, and must not make the
	// countdowns stall or step back.
	if (offset === null || Math.abs(o - offset) > 2000)
		offset = o;
}

export function hubNow() {
	return Date.now() + (offset || 0);
}

/** A countdown to `deadline` (hub ms); kind "sign" or "resolve" is named. */
export function countdown(deadline, kind) {
	const el = h('span', {class: 'countdown'});
	if (deadline == null) {
		el.textContent = '—';
		return el;
	}
	el.dataset.deadline = String(deadline);
	if (kind === 'sign' || kind === 'resolve')
		el.dataset.kind = kind;
	el.title = fmtTime(deadline);
	tickOne(el, hubNow());
	return el;
}

function tickOne(el, now) {
	const left = Number(el.dataset.deadline) - now;
	const kind = el.dataset.kind ? `_${el.dataset.kind}` : '';
	el.textContent = left >= 0 ? t(`left${kind}`, {d: fmtDuration(left)})
		: t(`overdue${kind}`, {d: fmtDuration(-left)});
	el.classList.toggle('overdue', left < 0);
	el.classList.toggle('soon', left >= 0 && left < 30 * 60 * 1000);
}

/** Called every second: every countdown on the page moves on. */
export function tickAll() {
	const now = hubNow();
	for (const el of document.querySelectorAll('.countdown[data-deadline]'))
		tickOne(el, now);
}

// ------------------------------------------------------------ items

export function itemLink(item) {
	return h('a', {href: `#/item/${encodeURIComponent(item.id)}`, class: 'item-link',
		text: item.title || item.id});
}

/** One row of an item table (urgent or open items), keyed by the item id.
 * Brief (the wall): the countdown without the limit's name ("超时 2小时",
 * not "签收超时 2小时"); the state beside it says which limit it is. */
export function itemRow(item, brief = false) {
	return h('tr', {class: `row-${item.colour}`, dataset: {id: item.id}},
		h('td', null, colourBadge(item.colour)),
		h('td', {class: 'title-cell'}, itemLink(item),
			h('span', {class: 'cat', text: name('category', item.category)})),
		h('td', {text: item.origin_name || item.origin, title: item.origin}),
		h('td', {text: item.handler_name || item.handler || '—', title: item.handler || ''}),
		h('td', null, stateBadge(item.state)),
		h('td', null, countdown(item.deadline, brief ? null : item.deadline_kind)));
}

export function itemTable(items, emptyText, caption, {brief = false} = {}) {
	const body = h('tbody');
	for (const it of items)
		body.append(itemRow(it, brief));
	const table = h('table', {class: 'items'},
		caption ? h('caption', {class: 'sr-only', text: caption}) : null,
		h('thead', null, h('tr', null,
			h('th', {scope: 'col', text: t('col_colour')}),
			h('th', {scope: 'col', text: t('col_title')}),
			h('th', {scope: 'col', text: t('col_origin')}),
			h('th', {scope: 'col', text: t('col_handler')}),
			h('th', {scope: 'col', text: t('col_state')}),
			h('th', {scope: 'col', text: t('col_deadline')}))),
		body);
	const empty = h('p', {class: 'empty', text: emptyText});
	empty.hidden = items.length > 0;
	table.hidden = items.length === 0;
	return h('div', {class: 'item-table', dataset: brief ? {brief: '1'} : null}, table, empty);
}

/** Puts `item` into the table in place: added, replaced or removed (when
 * keep(item) is false), rows ordered by order(a, b). True if it is new. */
export function upsertRow(wrap, item, keep, order) {
	const table = wrap.querySelector('table');
	const body = table.tBodies[0];
	const old = [...body.rows].find(r => r.dataset.id === item.id);
	if (old)
		old.remove();
	if (keep(item)) {
		const row = itemRow(item, wrap.dataset.brief === '1');
		row.classList.add('fresh');
		const next = [...body.rows].find(r => r._item && order(item, r._item) < 0);
		row._item = item;
		body.insertBefore(row, next || null);
	}
	const empty = wrap.querySelector('.empty');
	table.hidden = body.rows.length === 0;
	empty.hidden = body.rows.length > 0;
	return !old && keep(item);
}

/** Attaches the items to their rows, for upsertRow's ordering. */
export function bindRows(wrap, items) {
	const rows = wrap.querySelector('tbody').rows;
	for (let i = 0; i < rows.length; i++)
		rows[i]._item = items[i];
}

export function byDeadline(a, b) {
	const da = a.deadline ?? Infinity, db = b.deadline ?? Infinity;
	return da - db || (b.received || 0) - (a.received || 0);
}

export function byNewest(a, b) {
	return (b.received || 0) - (a.received || 0);
}

/** Whether item belongs under area code (reported there or handled there). */
export function inScope(item, code) {
	return !code || (item.origin || '').startsWith(code) || (item.handler || '').startsWith(code);
}

// 在办 (docs/FIGURES.md): waiting on the handler; a resolved item awaits its
// return visit and is not open, as in the figure and the hub's state=open.
export const OPEN_STATES = ['reported', 'signed', 'assigned'];
