// The dashboard's entry: the header, the session, the routes (location.hash:
// #/overview, #/area/CODE, #/item/ID, #/stats, #/export, #/wall, #/login)
// and the one-second tick of the countdowns.
import {t, lang, setLang} from './i18n.js';
import {h, fillEl, tickAll} from './dom.js';
import {me, loadMe, logout, startLive, onLiveStatus, whenExpired, errorText} from './api.js';
import * as overview from './view-overview.js';
import * as item from './view-item.js';
import * as stats from './view-stats.js';
import * as exporter from './view-export.js';
import * as wall from './view-wall.js';
import * as login from './view-login.js';

const views = {
	overview, area: overview, item, stats, export: exporter, wall, login,
};

let cleanup = null;
let generation = 0;
let afterLogin = '#/overview';

function parseHash() {
	const raw = location.hash.replace(/^#\/?/, '');
	const [path, qs] = raw.split('?');
	const parts = path.split('/').map(p => {
		try {
			return decodeURIComponent(p);
		} catch (e) {
			return p;
		}
	});
	return {name: parts[0] || 'overview', arg: parts[1] || '', params: new URLSearchParams(qs || '')};
}

/** Shows the view the hash names. A view's mount(main, ctx) may return a
 * function that undoes what it set up (live listeners, timers). */
async function route() {
	const gen = ++generation;
	if (cleanup) {
		try {
			cleanup();
		} catch (e) {
			console.error(e);
		}
		cleanup = null;
	}
	let {name, arg, params} = parseHash();
	if (!views[name])
		name = 'overview';
	if (!me() && name !== 'login') {
		afterLogin = location.hash || '#/overview';
		location.replace('#/login');
		return;
	}
	if (me())
		startLive();
	document.body.classList.toggle('wall', name === 'wall');
	header(name);
	const main = document.getElementById('main');
	fillEl(main, h('p', {class: 'loading', text: t('loading')}));
	const ctx = {
		arg, params, name,
		alive: () => gen === generation,
		title: text => {
			document.title = `${text} · ${t('app')}`;
		},
		announce,
		loggedIn,
	};
	try {
		const undo = await views[name].mount(main, ctx);
		if (gen === generation)
			cleanup = undo || null;
		else if (undo)
			undo();
	} catch (e) {
		if (gen !== generation)
			return;
		console.error(e);
		fillEl(main, h('div', {class: 'error-box', role: 'alert'},
			h('p', {text: errorText(e)}),
			h('button', {type: 'button', text: t('retry'), onclick: () => route()})));
	}
}

function header(active) {
	const who = me();
	document.getElementById('nav').hidden = !who;
	document.getElementById('logout').hidden = !who;
	document.getElementById('live').hidden = !who;
	document.getElementById('who').textContent = who
		? `${who.display || who.user} · ${who.scope_name || who.scope}` : '';
	for (const a of document.querySelectorAll('#nav a')) {
		if (a.dataset.route === active || (active === 'area' && a.dataset.route === 'overview'))
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	}
}

/** Puts the static words of the page into the current language. */
function translateStatic() {
	for (const el of document.querySelectorAll('[data-i18n]'))
		el.textContent = t(el.dataset.i18n);
	document.getElementById('brand-name').textContent = t('app');
	document.getElementById('skip').textContent = t('skip');
	document.getElementById('logout').textContent = t('logout');
	const b = document.getElementById('lang');
	b.textContent = t('switch_lang');
	b.title = t('switch_lang_title');
	b.lang = lang() === 'en' ? 'zh-CN' : 'en';
	setLiveText();
}

let liveUp = false;

function setLiveText() {
	const el = document.getElementById('live');
	el.textContent = liveUp ? t('live_on') : t('live_off');
	el.classList.toggle('up', liveUp);
}

function announce(text) {
	const el = document.getElementById('announce');
	el.textContent = '';
	setTimeout(() => {
		el.textContent = text;
	}, 50);
}

/** The `f` key (outside form fields) opens the wall screen in full screen. */
function onKey(ev) {
	if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey)
		return;
	const tag = (ev.target && ev.target.tagName) || '';
	if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (ev.target && ev.target.isContentEditable))
		return;
	if ((ev.key === 'f' || ev.key === 'F') && me() && parseHash().name !== 'wall') {
		ev.preventDefault();
		wall.enterFullscreen();
		location.hash = '#/wall';
	}
}

async function start() {
	setLang(lang());
	translateStatic();
	document.getElementById('lang').addEventListener('click', () => {
		setLang(lang() === 'en' ? 'zh' : 'en');
		translateStatic();
		route();
	});
	document.getElementById('logout').addEventListener('click', async () => {
		try {
			await logout();
		} finally {
			location.hash = '#/login';
		}
	});
	document.getElementById('skip').addEventListener('click', ev => {
		ev.preventDefault();
		document.getElementById('main').focus();
	});
	onLiveStatus(up => {
		liveUp = up;
		setLiveText();
	});
	whenExpired(() => {
		if (parseHash().name !== 'login') {
			afterLogin = location.hash || '#/overview';
			location.hash = '#/login';
		}
	});
	document.addEventListener('keydown', onKey);
	window.addEventListener('hashchange', route);
	setInterval(tickAll, 1000);
	try {
		await loadMe();
	} catch (e) {
		// The hub is unreachable: the login page says so when used.
	}
	route();
}

/** Where to go once logged in (the page that sent us to the login); the
 * login page gets it as ctx.loggedIn. */
function loggedIn() {
	const to = afterLogin && !afterLogin.startsWith('#/login') ? afterLogin : '#/overview';
	afterLogin = '#/overview';
	if (location.hash === to)
		route();
	else
		location.hash = to;
}

start();
