// The login page: user name and password, errors in plain words. Once
// signed in it calls ctx.loggedIn (app.js), which goes where the user was
// sent from: the page imports nothing of the router's.
import {t} from './i18n.js';
import {h, fillEl} from './dom.js';
import {login, errorText, me} from './api.js';

export function mount(main, ctx) {
	ctx.title(t('login_title'));
	if (me()) {
		ctx.loggedIn();
		return;
	}
	const error = h('p', {class: 'error', role: 'alert', id: 'login-error'});
	const user = h('input', {id: 'login-user', name: 'user', autocomplete: 'username', required: true,
		autocapitalize: 'none', spellcheck: 'false'});
	const password = h('input', {id: 'login-password', name: 'password', type: 'password',
		autocomplete: 'current-password', required: true});
	const button = h('button', {type: 'submit', id: 'login-submit', text: t('login_submit')});
	const form = h('form', {class: 'login', 'aria-labelledby': 'login-h'},
		h('h1', {id: 'login-h', text: t('login_title')}),
		h('p', {class: 'hint', text: t('login_hint')}),
		h('label', {for: 'login-user', text: t('login_user')}), user,
		h('label', {for: 'login-password', text: t('login_password')}), password,
		error, button);
	form.addEventListener('submit', async ev => {
		ev.preventDefault();
		error.textContent = '';
		button.disabled = true;
		try {
			await login(user.value.trim(), password.value);
			password.value = '';
			ctx.loggedIn();
		} catch (e) {
			error.textContent = errorText(e);
			password.select();
		} finally {
			button.disabled = false;
		}
	});
	fillEl(main, form);
	user.focus();
}
