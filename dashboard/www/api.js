// The hub's HTTP API (docs/API.md): JSON requests with the session cookie
// and the CSRF token, errors turned into words a clerk understands, and the
// live event stream shared by the views.
import {t, detailText} from './i18n.js';

let session = null; // the body of /api/login or /api/me

export class ApiError extends Error {
	constructor(status, code, message, retryAfter) {
		super(message || code);
		this.status = status;
		this.code = code;
		this.detail = message || '';
		this.retryAfter = retryAfter;
	}
}

/** A request to the hub; resolves to the parsed body (null for 204),
 * rejects with an ApiError. */
export async function api(path, options) {
	const {method = 'GET', body} = options || {};
	const headers = {Accept: 'application/json'};
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (method !== 'GET' && session && session.csrf)
		headers['X-CSRF-Token'] = session.csrf;
	let r;
	try {
		r = await fetch(path, {
			method, headers, credentials: 'same-origin', cache: 'no-store',
			body: body === undefined ? undefined : JSON.stringify(body),
		});
	} catch (e) {
		throw new ApiError(0, 'network', String(e && e.message || e));
	}
	if (r.status === 204)
		return null;
	let data = null;
	try {
		data = await r.json();
	} catch (e) {
		data = null;
	}
	if (!r.ok) {
		const err = (data && data.error) || {};
		const retry = err.retry_after ?? r.headers.get('Retry-After');
		const e = new ApiError(r.status, err.code || `http_${r.status}`, err.message, retry);
		e.field = err.field || null;
		if (r.status === 401 && path !== '/api/login')
			expired(e);
		throw e;
	}
	return data;
}

let onExpired = null;

/** fn runs when a request finds the session gone (to show the login). */
export function whenExpired(fn) {
	onExpired = fn;
}

function expired(e) {
	session = null;
	stopLive();
	if (onExpired)
		onExpired(e);
}

export function me() {
	return session;
}

export async function login(user, password) {
	session = await api('/api/login', {method: 'POST', body: {user, password}});
	return session;
}

/** The current session, or null when nobody is logged in. */
export async function loadMe() {
	try {
		session = await api('/api/me');
	} catch (e) {
		if (e.status !== 401)
			throw e;
		session = null;
	}
	return session;
}

export async function logout() {
	try {
		await api('/api/logout', {method: 'POST'});
	} finally {
		session = null;
		stopLive();
	}
}

/** An error in plain words for the user (the server's detail added). */
export function errorText(e) {
	if (!(e instanceof ApiError))
		return t('err_other', {code: String(e && e.message || e)});
	const plain = {
		network: 'err_network', unauthorized: 'err_unauthorized', bad_login: 'err_bad_login',
		forbidden: 'err_forbidden', not_found: 'err_not_found', conflict: 'err_conflict',
		bad_state: 'err_conflict', bad_request: 'err_bad_request', too_large: 'err_too_large',
		internal: 'err_internal',
	}[e.code];
	let text;
	if (e.code === 'throttled')
		text = t('err_throttled', {s: e.retryAfter || 60});
	else if (plain)
		text = t(plain);
	else if (e.status === 409)
		text = t('err_conflict');
	else
		text = t('err_other', {code: e.code});
	// Details come in English from the server: shown only in words the
	// screen's language has (detailText), and not when they repeat it.
	const detail = e.code !== 'network' && e.detail !== e.code ? detailText(e.detail) : null;
	if (detail && detail !== text)
		text += ' ' + t('err_detail', {message: detail});
	return text;
}

// ------------------------------------------------------------ live events
// One EventSource for the page. It reconnects by itself (sending
// Last-Event-ID, so the hub resends what was missed); when the hub answers
// with an error status instead, the browser gives up, and so we retry.
let source = null;
let retryTimer = null;
const listeners = new Set();
const statusListeners = new Set();

function emit(kind, data) {
	for (const fn of [...listeners])
		fn(kind, data);
}

function status(up) {
	for (const fn of statusListeners)
		fn(up);
}

export function startLive() {
	if (source || !session)
		return;
	source = new EventSource('/api/stream');
	for (const kind of ['item', 'station', 'weather', 'alert', 'reset']) {
		source.addEventListener(kind, ev => {
			let data = null;
			try {
				data = ev.data ? JSON.parse(ev.data) : null;
			} catch (e) {
				return;
			}
			emit(kind, data);
		});
	}
	source.onopen = () => status(true);
	source.onerror = () => {
		status(false);
		if (source && source.readyState === EventSource.CLOSED) {
			source = null;
			clearTimeout(retryTimer);
			retryTimer = setTimeout(async () => {
				if (await loadMe().catch(() => null)) {
					startLive();
					emit('reset', null); // events may have been missed
				}
			}, 5000);
		}
	};
}

export function stopLive() {
	clearTimeout(retryTimer);
	if (source)
		source.close();
	source = null;
	status(false);
}

/** fn(kind, data) for every live event; returns the function that stops it. */
export function onLive(fn) {
	listeners.add(fn);
	return () => listeners.delete(fn);
}

/**
 * fn at most once every ms: the first call schedules it, calls until it has
 * run change nothing. Unlike restarting a timer on each call, a steady run
 * of events cannot put the refresh off for ever. Returns [call, cancel].
 */
export function coalesce(fn, ms) {
	let timer = null;
	const call = () => {
		if (timer)
			return;
		timer = setTimeout(() => {
			timer = null;
			fn();
		}, ms);
	};
	return [call, () => { clearTimeout(timer); timer = null; }];
}

export function onLiveStatus(fn) {
	statusListeners.add(fn);
}

/** A query string from an object, empty values left out. */
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v != null && v !== '')
			q.set(k, String(v));
	const s = q.toString();
	return s ? `?${s}` : '';
}
