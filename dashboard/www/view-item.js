// One item: every field, the timeline of its events, and a form for each
// action this user may take now (sign, assign, resolve, return, extend,
// comment, ...). The page follows the item live.
import {t, name, fmtTime} from './i18n.js';
import {h, fillEl, colourBadge, stateBadge, countdown, setHubNow, hubNow} from './dom.js';
import {api, onLive, errorText} from './api.js';

function actorName(actor) {
	if (!actor)
		return '—';
	if (actor === 'hub')
		return t('actor_hub');
	if (actor.startsWith('user:'))
		return actor.slice(5);
	return actor;
}

function fields(it) {
	const row = (key, value) => value == null || value === '' ? null
		: h('div', {class: 'field', dataset: {field: key}},
			h('dt', {text: t(key)}), h('dd', null, value));
	const station = (nm, code) => code ? `${nm || code} (${code})` : null;
	return h('dl', {class: 'fields'},
		row('item_id', it.id),
		row('item_category', name('category', it.category)),
		row('item_colour', colourBadge(it.colour)),
		row('item_state', stateBadge(it.state)),
		row('item_origin', station(it.origin_name, it.origin)),
		row('item_handler', station(it.handler_name, it.handler)),
		row('item_created', it.created ? fmtTime(it.created) : null),
		row('item_received', fmtTime(it.received)),
		row('item_deadline', it.deadline != null
			? h('span', null, fmtTime(it.deadline), ' · ', countdown(it.deadline, it.deadline_kind)) : null),
		row('item_escalations', it.escalations ? String(it.escalations) : null),
		row('item_people', it.people != null ? String(it.people) : null),
		row('item_reporter', it.reporter),
		row('item_phone', it.phone),
		row('item_member', it.member ? it.member.name || it.member.id : null),
		row('item_rating', it.rating ? name('rating', it.rating) : null));
}

/** Events with each run of reminders (催办) or supervisions (督办) folded
 * into its last one, which carries the run's count and first time: ten
 * days of daily 督办 read as one line, not ten. */
export function foldEvents(events) {
	const out = [];
	for (const ev of events) {
		const prev = out[out.length - 1];
		if (prev && prev.kind === ev.kind && (ev.kind === 'remind' || ev.kind === 'supervise'))
			out[out.length - 1] = {...ev, times: prev.times + 1, first: prev.first};
		else
			out.push({...ev, times: 1, first: ev.at});
	}
	return out;
}

function timeline(events) {
	if (!events || !events.length)
		return h('p', {class: 'empty', text: t('timeline_empty')});
	return h('ol', {class: 'timeline', id: 'timeline'}, foldEvents(events).map(ev => h('li', {
		class: `ev ev-${ev.kind}`, dataset: {kind: ev.kind, seq: ev.seq, times: ev.times},
	},
	h('time', {text: ev.times > 1 ? `${fmtTime(ev.first)} – ${fmtTime(ev.at)}`
		: fmtTime(ev.at)}),
	h('span', {class: 'ev-kind', text: name('kind', ev.kind)}),
	ev.times > 1 ? h('span', {class: 'ev-times', text: t('event_times', {n: ev.times})})
		: null,
	h('span', {class: 'ev-actor', text: actorName(ev.actor)}),
	ev.state ? stateBadge(ev.state) : null,
	ev.colour ? colourBadge(ev.colour) : null,
	ev.handler && (ev.kind === 'route' || ev.kind === 'escalate' || ev.kind === 'return')
		? h('span', {class: 'ev-to', text: t('event_to', {handler: ev.handler})}) : null,
	ev.note ? h('p', {class: 'ev-note', text: ev.note}) : null)));
}

/** datetime-local's value for a moment (local time). */
function localInput(ms) {
	const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
	return d.toISOString().slice(0, 16);
}

/** The form of one action: its fields and the body it posts. */
function actionForm(action, it, members, submit) {
	const id = f => `act-${action}-${f}`;
	const label = (f, key) => h('label', {for: id(f), text: t(key)});
	const text = (f, required) => h('textarea', {id: id(f), name: f, rows: 2, maxlength: 2000,
		required: required || null});
	let parts = [];
	let body = () => ({action});
	if (action === 'assign') {
		const sel = h('select', {id: id('member'), name: 'member', required: true},
			h('option', {value: '', text: t('f_member_pick')}),
			(members || []).map(m => h('option', {value: m.id, text: m.name || m.id})));
		const note = text('note');
		parts = [label('member', 'f_member'), sel, label('note', 'f_note'), note];
		body = () => ({action, member: sel.value, note: note.value.trim()});
	} else if (action === 'resolve') {
		const note = text('note', true);
		parts = [label('note', 'f_feedback'), note];
		body = () => ({action, note: note.value.trim()});
	} else if (action === 'return' || action === 'withdraw' || action === 'reopen') {
		const note = text('note', true);
		parts = [label('note', 'f_reason'), note];
		body = () => ({action, note: note.value.trim()});
	} else if (action === 'extend') {
		const base = Math.max(it.deadline || 0, hubNow());
		const until = h('input', {id: id('until'), name: 'until', type: 'datetime-local', required: true,
			value: localInput(base + 86400000)});
		const note = text('note', true);
		parts = [label('until', 'f_until'), until, label('note', 'f_reason'), note];
		body = () => ({action, until: new Date(until.value).getTime(), note: note.value.trim()});
	} else if (action === 'rate') {
		const sel = h('select', {id: id('rating'), name: 'rating', required: true},
			['satisfied', 'basic', 'unsatisfied'].map(r => h('option', {value: r, text: name('rating', r)})));
		const note = text('note');
		parts = [label('rating', 'f_rating'), sel, label('note', 'f_note'), note];
		body = () => ({action, rating: sel.value, note: note.value.trim()});
	} else if (action === 'merge') {
		const into = h('input', {id: id('into'), name: 'into', required: true, maxlength: 64,
			autocomplete: 'off', spellcheck: 'false'});
		const note = text('note');
		parts = [label('into', 'f_into'), into, label('note', 'f_note'), note];
		body = () => ({action, into: into.value.trim(), note: note.value.trim()});
	} else if (action === 'comment') {
		const note = text('note', true);
		parts = [label('note', 'f_comment'), note];
		body = () => ({action, note: note.value.trim()});
	} else {
		const note = text('note');
		parts = [label('note', 'f_note'), note];
		body = () => ({action, note: note.value.trim()});
	}
	const error = h('p', {class: 'error', role: 'alert'});
	const button = h('button', {type: 'submit', class: `act act-${action}`, text: name('action', action)});
	const form = h('form', {class: 'action-form', id: `form-${action}`, dataset: {action}},
		h('fieldset', null, h('legend', {text: name('action', action)}), parts, error, button));
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		error.textContent = '';
		if (!form.checkValidity()) {
			form.reportValidity();
			return;
		}
		button.disabled = true;
		try {
			// Empty fields are left out: the hub takes a missing note, not an empty one.
			const b = body();
			for (const k of Object.keys(b))
				if (b[k] === '' || b[k] == null || Number.isNaN(b[k]))
					delete b[k];
			await submit(b);
		} catch (e) {
			error.textContent = errorText(e);
		} finally {
			button.disabled = false;
		}
	});
	return form;
}

export async function mount(main, ctx) {
	const id = ctx.arg;
	let data = await api(`/api/items/${encodeURIComponent(id)}`);
	if (!ctx.alive())
		return;
	setHubNow(data.now);

	const head = h('div', {class: 'item-head'});
	const fieldBox = h('div');
	const textBox = h('div', {class: 'item-text-box'});
	const timeBox = h('div');
	const actBox = h('div', {id: 'actions'});
	const status = h('p', {class: 'status', role: 'status', id: 'action-status'});
	let actionsKey = null;

	async function submit(body) {
		const fresh = await api(`/api/items/${encodeURIComponent(id)}/actions`, {method: 'POST', body});
		if (!ctx.alive())
			return;
		data = fresh;
		actionsKey = null; // the forms are done with: new ones
		render();
		status.textContent = t('done_action', {action: name('action', body.action)});
		ctx.announce(status.textContent);
	}

	function render() {
		const it = data.item;
		ctx.title(it.title || it.id);
		fillEl(head,
			h('p', {class: 'crumbs-back'}, h('a', {href: '#/overview', text: t('back_overview')})),
			h('h1', {id: 'item-title', tabindex: '-1'}, colourBadge(it.colour), ' ',
				h('span', {class: 'title-text', text: it.title || it.id})),
			h('p', {class: 'item-meta'}, stateBadge(it.state), ' ',
				h('span', {class: 'cat', text: name('category', it.category)}), ' ',
				it.deadline != null ? countdown(it.deadline, it.deadline_kind) : null));
		fillEl(fieldBox, fields(it));
		fillEl(textBox, h('h2', {text: t('item_text')}),
			h('p', {class: 'item-text', id: 'item-text', text: it.text || ''}));
		fillEl(timeBox, timeline(data.events));
		const key = JSON.stringify([data.actions, data.members, it.state]);
		if (key !== actionsKey) { // keep what the user is typing
			actionsKey = key;
			const acts = data.actions || [];
			fillEl(actBox, acts.length
				? acts.map(a => actionForm(a, it, data.members, submit))
				: h('p', {class: 'empty', text: t('actions_none')}));
		}
	}

	fillEl(main, h('article', {class: 'item-page'},
		head,
		h('div', {class: 'columns'},
			h('div', {class: 'col-main'},
				h('section', {class: 'panel'}, fieldBox),
				h('section', {class: 'panel'}, textBox),
				h('section', {class: 'panel', 'aria-labelledby': 'h-timeline'},
					h('h2', {id: 'h-timeline', text: t('timeline')}), timeBox)),
			h('div', {class: 'col-side'},
				h('section', {class: 'panel', 'aria-labelledby': 'h-actions'},
					h('h2', {id: 'h-actions', text: t('actions_title')}), status, actBox)))));
	render();

	let timer = null;
	const stop = onLive((kind, ev) => {
		if (kind === 'reset' || (kind === 'item' && ev && ev.id === id)) {
			clearTimeout(timer);
			timer = setTimeout(async () => {
				try {
					const fresh = await api(`/api/items/${encodeURIComponent(id)}`);
					if (ctx.alive()) {
						data = fresh;
						render();
					}
				} catch (e) {
					// Kept as shown; the next event tries again.
				}
			}, 200);
		}
	});
	return () => {
		stop();
		clearTimeout(timer);
	};
}
