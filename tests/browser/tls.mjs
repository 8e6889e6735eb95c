// The dashboard over HTTPS in a real browser (Debian's chromium, driven by
// playwright-core): the county CA's certificate is trusted by its key
// alone (no certificate error page, no "accept the risk"), the page carries
// HSTS, the login sets a Secure HttpOnly cookie, the live stream connects
// over TLS under the page's Content-Security-Policy. (Whether the browser
// then upgrades http:// by itself is not checked: chromium keeps no HSTS
// for a certificate trusted by this flag rather than by its CA store.)
//
// Run by tests/integration/69-dashboard-tls-browser.py with a JSON file:
// {base (https://NAME:PORT), name, spki, user, password, chromium}.
import {readFileSync} from 'node:fs';
import {chromium} from 'playwright-core';
import {check, runSteps, step, watch} from './common.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const failures = [];
const url = new URL(cfg.base);

const browser = await chromium.launch({
	executablePath: cfg.chromium || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
		// The name resolves to the hub on loopback, as the county's DNS would.
		`--host-resolver-rules=MAP ${cfg.name} 127.0.0.1`,
		// Trust the dashboard's key as a CA-installed certificate would be.
		`--ignore-certificate-errors-spki-list=${cfg.spki}`],
});
await runSteps(browser, failures, async () => {
	const context = await browser.newContext({locale: 'zh-CN'});
	const page = await context.newPage();
	page.setDefaultTimeout(10000);
	watch(page, url.origin, failures);

	await step('the login page over HTTPS, no certificate error', async () => {
		const resp = await page.goto(cfg.base + '/');
		check(resp && resp.ok(), `GET / over HTTPS: ${resp && resp.status()}`);
		const hsts = (await resp.allHeaders())['strict-transport-security'] || '';
		check(hsts.startsWith('max-age='), `no HSTS on the page: '${hsts}'`);
		await page.waitForURL(/#\/login$/);
	});

	await step('log in: a Secure HttpOnly cookie, the live stream up', async () => {
		await page.fill('#login-user', cfg.user);
		await page.fill('#login-password', cfg.password);
		await page.click('#login-submit');
		await page.waitForURL(/#\/overview$/);
		await page.waitForSelector('#live.up');
		const c = (await context.cookies(cfg.base)).find(k => k.name === 'mq_session');
		check(c && c.secure && c.httpOnly && c.sameSite === 'Strict',
			`session cookie: ${JSON.stringify(c)}`);
	});
});
