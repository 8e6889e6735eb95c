// The ledger (台账) export: the items of an area and period as CSV or as
// an Excel workbook, from the hub's /api/export.csv and /api/export.xlsx.
import {t, lang, name, keys} from './i18n.js';
import {h, fillEl, hubNow} from './dom.js';
import {api, me, query} from './api.js';

function dateValue(ms) {
	const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
	return d.toISOString().slice(0, 10);
}

export async function mount(main, ctx) {
	const user = me();
	ctx.title(t('export_title'));
	const tree = await api(`/api/tree${query({scope: user.scope})}`).catch(() => null);
	if (!ctx.alive())
		return;
	const scopes = [{code: user.scope, name: user.scope_name || user.scope}]
		.concat((tree && tree.children) || []);
	const scopeSel = h('select', {id: 'export-scope'}, scopes.map(s =>
		h('option', {value: s.code, text: s.name || s.code})));
	const now = hubNow();
	const fromIn = h('input', {type: 'date', id: 'export-from', value: dateValue(now - 30 * 86400000)});
	const toIn = h('input', {type: 'date', id: 'export-to', value: dateValue(now)});
	// Filters: the values are the hub's wire names, shown in the page's language.
	const pick = (id, kind, extra) => h('select', {id},
		h('option', {value: '', text: t('export_any')}), ...(extra || []),
		keys(kind).map(k => h('option', {value: k, text: name(kind, k)})));
	const stateSel = pick('export-state', 'state',
		[h('option', {value: 'open', text: t('export_open')})]);
	const colourSel = pick('export-colour', 'colour');
	const categorySel = pick('export-category', 'category');
	const langSel = h('select', {id: 'export-lang'},
		h('option', {value: 'zh', text: '中文'}), h('option', {value: 'en', text: 'English'}));
	langSel.value = lang();
	const csv = h('a', {id: 'export-csv', class: 'button', download: '', text: t('export_csv')});
	const xlsx = h('a', {id: 'export-xlsx', class: 'button', download: '', text: t('export_xlsx')});
	const update = () => {
		const from = fromIn.value ? new Date(fromIn.value).getTime() : '';
		const to = toIn.value ? new Date(toIn.value).getTime() + 86400000 : '';
		const q = query({scope: scopeSel.value, from, to, state: stateSel.value,
			colour: colourSel.value, category: categorySel.value, lang: langSel.value});
		csv.href = `/api/export.csv${q}`;
		xlsx.href = `/api/export.xlsx${q}`;
	};
	for (const el of [scopeSel, fromIn, toIn, stateSel, colourSel, categorySel, langSel])
		el.addEventListener('change', update);
	update();
	fillEl(main, h('div', {class: 'export'},
		h('h1', {tabindex: '-1', text: t('export_title')}),
		h('p', {text: t('export_intro')}),
		h('form', {class: 'controls export-form'},
			h('label', {for: 'export-scope', text: t('export_scope')}), scopeSel,
			h('label', {for: 'export-from', text: t('export_from')}), fromIn,
			h('label', {for: 'export-to', text: t('export_to')}), toIn,
			h('label', {for: 'export-state', text: t('export_state')}), stateSel,
			h('label', {for: 'export-colour', text: t('export_colour')}), colourSel,
			h('label', {for: 'export-category', text: t('export_category')}), categorySel,
			h('label', {for: 'export-lang', text: t('export_lang')}), langSel),
		h('p', {class: 'downloads'}, csv, ' ', xlsx)));
}
