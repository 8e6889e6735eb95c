// The wall screen (一屏统览) fits the wall: at 1920×1080 and 1366×768, with
// many overdue red items and every town, the page does not scroll, the
// urgent list's countdown column is never cut however long the station
// names (the longest of the county's), and
// every visible text meets WCAG AA contrast against the background it is
// drawn on (rows just highlighted included, and the overdue ticker's
// moving text, stopped where it is in view). The wall's today figures and
// 7-day trend are printed (a "# shown" JSON line) for the Python side to
// recount. Chromium, playwright-core.
//
// Run by tests/integration/67-dashboard-wall.py with a JSON file:
// {base, user, password, screenshots, chromium}.
import {readFileSync, mkdirSync} from 'node:fs';
import {chromium} from 'playwright-core';
import {check, runSteps, step, watch} from './common.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const failures = [];

// Runs in the page: the texts whose contrast is below AA, and the count
// of texts looked at. The effective background is found by compositing the
// background colours of the element and its ancestors (the pages use no
// background images behind text).
function contrastFailures() {
	const rgba = s => {
		const m = s.match(/rgba?\(([^)]+)\)/);
		if (!m)
			return [0, 0, 0, 0];
		const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
		return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
	};
	const over = (top, under) => {
		const a = top[3];
		return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat(1);
	};
	const lum = c => {
		const f = v => {
			v /= 255;
			return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
		};
		return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
	};
	const background = el => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const c = rgba(getComputedStyle(e).backgroundColor);
			if (c[3] > 0)
				layers.push(c);
			if (c[3] >= 1)
				break;
		}
		let bg = [255, 255, 255, 1];
		for (const c of layers.reverse())
			bg = over(c, bg);
		return bg;
	};
	// Clipped away by an ancestor that hides its overflow (a panel's rows
	// below its fold, the ticker's text outside its track): not seen.
	const clipped = (el, r) => {
		for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
			const cs = getComputedStyle(e);
			if (cs.overflowX === 'visible' && cs.overflowY === 'visible')
				continue;
			const c = e.getBoundingClientRect();
			if (Math.min(r.right, c.right) - Math.max(r.left, c.left) < 2 ||
			    Math.min(r.bottom, c.bottom) - Math.max(r.top, c.top) < 2)
				return true;
		}
		return false;
	};
	const bad = [];
	let seen = 0, ticker = 0;
	for (const el of document.querySelectorAll('body *')) {
		const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
		if (!own || !el.checkVisibility || !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
			continue;
		const r = el.getBoundingClientRect();
		if (r.width < 2 || r.height < 2 || r.bottom <= 0 || r.right <= 0
			|| r.top >= innerHeight || r.left >= innerWidth)
			continue;
		if (el.closest('.sr-only') || clipped(el, r))
			continue;
		const cs = getComputedStyle(el);
		const bg = background(el);
		const fg = over(rgba(cs.color), bg);
		const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
		const ratio = (l1 + 0.05) / (l2 + 0.05);
		const px = parseFloat(cs.fontSize);
		const large = px >= 24 || (px >= 18.66 && Number(cs.fontWeight) >= 700);
		seen++;
		ticker += !!el.closest('#wall-ticker');
		if (ratio < (large ? 3 : 4.5))
			bad.push(`"${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1 ` +
				`(${cs.color} on rgb(${bg.slice(0, 3).map(Math.round)}), ${px}px)`);
	}
	return {bad, seen, ticker};
}

// Runs in the page: the cells in view of the urgent list's countdown
// column (剩余时间) that are cut, by their cell or by the panel that clips
// the list, and the count of cells looked at.
function countdownCuts() {
	const out = [];
	const pane = document.querySelector('#urgent').closest('.wall-pane');
	const box = pane.getBoundingClientRect();
	const cells = [...document.querySelectorAll('#urgent tr')].map(tr => tr.lastElementChild);
	for (const td of cells) {
		const r = td.getBoundingClientRect();
		if (r.bottom <= box.top || r.top >= box.bottom)
			continue; // on a page turned away
		const inner = td.firstElementChild || td;
		const ir = inner.getBoundingClientRect();
		if (r.right > box.right + 0.5 || ir.right > box.right + 0.5 ||
		    td.scrollWidth > td.clientWidth + 1)
			out.push(`"${td.textContent.trim()}" ends at ${Math.round(ir.right)} px, ` +
				`the panel at ${Math.round(box.right)} px ` +
				`(row of ${td.parentElement.children[2]?.textContent || ''})`);
	}
	return {out, n: cells.length};
}

mkdirSync(cfg.screenshots, {recursive: true});
const browser = await chromium.launch({
	executablePath: cfg.chromium || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
await runSteps(browser, failures, async () => {
	const context = await browser.newContext({
		locale: 'zh-CN', viewport: {width: 1920, height: 1080}, timezoneId: 'Asia/Shanghai',
	});
	const page = await context.newPage();
	page.setDefaultTimeout(15000);
	watch(page, new URL(cfg.base).origin, failures);

	await step('log in', async () => {
		await page.goto(cfg.base + '/');
		await page.waitForURL(/#\/login$/);
		await page.fill('#login-user', cfg.user);
		await page.fill('#login-password', cfg.password);
		await page.click('#login-submit');
		await page.waitForURL(/#\/overview$/);
	});

	for (const [w, hgt] of [[1920, 1080], [1366, 768]]) {
		await step(`${w}×${hgt}: the wall does not scroll, every text meets AA`, async () => {
			await page.setViewportSize({width: w, height: hgt});
			await page.goto(cfg.base + '/#/wall?every=30');
			await page.waitForSelector('#wall-focus h2');
			await page.waitForSelector('#urgent tbody tr');
			await page.waitForSelector('#wall-trend[data-to] .trend li');
			// A row just highlighted is looked at in its first colour; the
			// ticker stopped where its first items have come into view.
			await page.evaluate(() => {
				const row = document.querySelector('#urgent tbody tr');
				row.classList.add('fresh');
				const run = document.querySelector('.wall-ticker-run');
				for (const a of document.getAnimations()) {
					a.pause();
					a.currentTime = 0;
				}
				for (const a of run.getAnimations()) {
					const d = a.effect.getComputedTiming().duration;
					a.currentTime = d * (run.parentElement.clientWidth + 40) / run.scrollWidth;
				}
			});
			if (w === 1920) {
				const shown = await page.evaluate(() => {
					const num = s => Number(s.replace(/[^0-9]/g, ''));
					const fig = k => num(document.querySelector(`[data-fig="${k}"] dd`).textContent);
					return {
						to: Number(document.querySelector('#wall-trend').dataset.to),
						today_in: fig('fig_today_in'), today_done: fig('fig_today_done'),
						days: [...document.querySelectorAll('#wall-trend .trend li')].map(li => {
							const v = [...li.querySelectorAll('.trend-v')].map(e => num(e.textContent));
							return {day: li.dataset.day, in: v[0], done: v[1],
								label: li.querySelector('.trend-day').textContent};
						}),
					};
				});
				console.log(`# shown ${JSON.stringify(shown)}`);
				check(shown.days.length === 7, `${shown.days.length} days in the trend`);
			}
			const size = await page.evaluate(() => ({
				h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth,
				ih: innerHeight, iw: innerWidth,
				rows: document.querySelectorAll('#urgent tbody tr').length,
				tiles: document.querySelectorAll('[data-tile-code]').length,
			}));
			const path = `${cfg.screenshots}/wall-${w}x${hgt}.png`;
			await page.screenshot({path});
			console.log(`# ${w}×${hgt}: document ${size.w}×${size.h} px, ${size.rows} urgent rows, ` +
				`${size.tiles} town tiles; screenshot ${path}`);
			check(size.tiles >= 19, `only ${size.tiles} town tiles`);
			check(size.h <= size.ih, `the page is ${size.h} px tall in a ${size.ih} px window`);
			check(size.w <= size.iw, `the page is ${size.w} px wide in a ${size.iw} px window`);
			// The countdown column is whole in every row in view, however
			// long the station names.
			const cut = await page.evaluate(countdownCuts);
			console.log(`# ${cut.n} cells of the countdown column, ${cut.out.length} cut`);
			check(cut.n > 2, `only ${cut.n} cells in the countdown column`);
			check(!cut.out.length, `the countdown column is cut:\n  ${cut.out.slice(0, 5).join('\n  ')}`);
			const {bad, seen, ticker} = await page.evaluate(contrastFailures);
			console.log(`# ${seen} texts checked (${ticker} on the ticker), ${bad.length} below AA`);
			check(seen > 50, `only ${seen} texts looked at`);
			check(ticker >= 3, `only ${ticker} texts of the ticker in view`);
			check(!bad.length, `below WCAG AA:\n  ${bad.slice(0, 15).join('\n  ')}`);
		});
	}

	await step('1366×768 in English: the wall still fits, today\'s cards named', async () => {
		await page.evaluate(k => localStorage.setItem(k, 'en'), 'minqing.lang');
		await page.reload();
		await page.waitForSelector('#wall-trend[data-to] .trend li');
		await page.waitForSelector('[data-fig=fig_today_done] dt:has-text("Closed today")');
		const size = await page.evaluate(() => ({h: document.documentElement.scrollHeight,
			ih: innerHeight}));
		const path = `${cfg.screenshots}/wall-1366x768-en.png`;
		await page.screenshot({path});
		console.log(`# English 1366×768: document height ${size.h} px; screenshot ${path}`);
		check(size.h <= size.ih, `the English page is ${size.h} px tall in a ${size.ih} px window`);
		const cut = await page.evaluate(countdownCuts);
		check(cut.n > 2 && !cut.out.length, `in English, of ${cut.n} countdown cells ` +
			`${cut.out.length} are cut:\n  ${cut.out.slice(0, 5).join('\n  ')}`);
		await page.evaluate(k => localStorage.removeItem(k), 'minqing.lang');
	});
});
