// The dashboard in Firefox (Debian's firefox-esr, driven by puppeteer-core
// over WebDriver BiDi): the same page works outside Chromium. Log in, a red
// report shows on the overview without a reload, its item page, sign it,
// the timeline follows, the language switch, a report written as HTML is
// shown as text; no script error, no dialog, no request leaving the hub.
//
// Run by tests/integration/66-dashboard-firefox.py with the JSON file that
// tests/integration/browser.py writes (see dashboard.mjs).
import {readFileSync, mkdirSync} from 'node:fs';
import puppeteer from 'puppeteer-core';
import {check, runSteps, shot, step, submit, watch} from './common.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const LIVE_LIMIT_MS = 2000;
const failures = [];

// Waits until an element matching selector holds text (exactly, or
// containing it when partial).
function waitText(page, selector, text, partial = false, timeout = 10000) {
	return page.waitForFunction((s, t, p) => [...document.querySelectorAll(s)].some(e =>
		p ? e.textContent.includes(t) : e.textContent.trim() === t), {timeout}, selector, text, partial);
}

mkdirSync(cfg.screenshots, {recursive: true});
const browser = await puppeteer.launch({
	browser: 'firefox', executablePath: cfg.browser, headless: true,
	extraPrefsFirefox: {'intl.accept_languages': 'zh-CN, zh'},
});
await runSteps(browser, failures, async () => {
	const page = await browser.newPage();
	await page.setViewport({width: 1440, height: 1000});
	page.setDefaultTimeout(10000);
	watch(page, new URL(cfg.base).origin, failures);
	const shoot = name => shot(page, cfg.screenshots, name);

	await step('the login page comes first, in Chinese', async () => {
		await page.goto(cfg.base + '/');
		await page.waitForFunction(() => location.hash === '#/login');
		await waitText(page, '#login-h', '登录');
		check(await page.$eval('html', e => e.lang) === 'zh-CN', 'page language is not zh-CN');
	});

	await step('log in: the overview with its figures and towns', async () => {
		await page.type('#login-user', cfg.user);
		await page.type('#login-password', cfg.password);
		await page.click('#login-submit');
		await page.waitForFunction(() => location.hash === '#/overview');
		await page.waitForSelector('#urgent');
		await waitText(page, '.figures [data-fig=fig_collected] dt', '收集民意');
		await page.waitForSelector(`[data-tile-code="${cfg.town}"] img.wx`);
		await page.waitForSelector('#live.up');
	});

	await step(`a red report appears on the overview within ${LIVE_LIMIT_MS} ms, no reload`, async () => {
		await page.evaluate(() => { window.__sameDocument = true; });
		const t0 = Date.now();
		submit(cfg.report.red);
		await waitText(page, '#urgent tbody tr', cfg.red_title, true, LIVE_LIMIT_MS + 3000);
		const ms = Date.now() - t0;
		console.log(`# red report on the overview ${ms} ms after \`minqing report\` started`);
		check(ms <= LIVE_LIMIT_MS, `the red report took ${ms} ms to appear (limit ${LIVE_LIMIT_MS})`);
		check(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
	});
	await shoot('overview-firefox');

	await step('its item page; sign it: the state and the timeline change', async () => {
		await page.$$eval('#urgent a.item-link', (as, t) => as.find(a => a.textContent === t).click(),
			cfg.red_title);
		await page.waitForFunction(() => location.hash.startsWith('#/item/'));
		await waitText(page, '#item-title .title-text', cfg.red_title);
		await page.waitForSelector('#timeline li[data-kind=route]');
		await page.click('#form-sign button[type=submit]');
		await page.waitForSelector('#timeline li[data-kind=sign]');
		await page.waitForSelector('.item-meta .state-signed');
		const actor = await page.$eval('#timeline li[data-kind=sign] .ev-actor', e => e.textContent);
		check(actor === cfg.user, `the sign event's actor is "${actor}"`);
	});
	await shoot('item-firefox');

	await step('switch to English and back', async () => {
		await page.click('#lang');
		await waitText(page, '#h-timeline', 'Timeline');
		check(await page.$eval('html', e => e.lang) === 'en', 'html lang is not en');
		await page.click('#lang');
		await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
	});

	await step('a report written as HTML is shown as text', async () => {
		await page.goto(cfg.base + '/#/overview');
		await page.waitForSelector('#urgent');
		submit(cfg.report.xss);
		await waitText(page, '#urgent a.item-link', cfg.xss_title);
		check(await page.$$eval('img[src="x"]', l => l.length) === 0, 'an <img src=x> was created');
		await page.$$eval('#urgent a.item-link', (as, t) => as.find(a => a.textContent === t).click(),
			cfg.xss_title);
		await page.waitForSelector('#item-text');
		await waitText(page, '#item-text', cfg.xss_title);
		check(await page.$$eval('img[src="x"]', l => l.length) === 0, 'an <img src=x> on the item page');
	});
});
