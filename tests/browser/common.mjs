// What both browser tests share: their checks, their numbered steps, the
// clerk's command they run, screenshots, and
// the watch on a page (playwright's and puppeteer's pages emit the same
// events): a script error, a dialog (an injected alert would open one), a
// request leaving the hub, a console error are each a failure.

import {execFileSync} from 'node:child_process';

/** Throws what unless cond. */
export function check(cond, what) {
	if (!cond)
		throw new Error(what);
}

let steps = 0;

/** Runs fn as the next numbered step, printing its time. */
export async function step(name, fn) {
	const t0 = Date.now();
	await fn();
	steps++;
	console.log(`ok ${steps} - ${name} (${Date.now() - t0} ms)`);
}

/**
 * Runs the steps in body, then fails on anything watch collected; closes
 * the browser and exits 0 only when all went well.
 */
export async function runSteps(browser, failures, body) {
	let code = 0;
	try {
		await body();
		if (failures.length)
			throw new Error(failures.join('\n'));
		console.log(`${steps} passed, 0 failed`);
	} catch (e) {
		console.error(`not ok: ${e.message}`);
		for (const f of failures)
			console.error(`  ${f}`);
		code = 1;
	} finally {
		await browser.close();
	}
	process.exit(code);
}

/** Collects into failures whatever goes wrong in page, served from origin. */
export function watch(page, origin, failures) {
	page.on('pageerror', e => failures.push(`page error: ${e.message}`));
	page.on('dialog', d => {
		failures.push(`a dialog opened: ${d.type()} ${d.message()}`);
		d.dismiss().catch(() => {});
	});
	page.on('request', r => {
		const u = r.url();
		if (!u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:'))
			failures.push(`request outside the hub: ${u}`);
	});
	page.on('console', m => {
		// The first /api/me before logging in answers 401, by design.
		if (m.type() === 'error' && !/\b401\b/.test(m.text()))
			failures.push(`console error: ${m.text()}`);
	});
}

/** Runs argv (the clerk's `minqing report ...`) to its end. */
export function submit(argv) {
	execFileSync(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'inherit'], timeout: 60000});
}

/** A full-page screenshot of page as dir/name.png. */
export function shot(page, dir, name) {
	return page.screenshot({path: `${dir}/${name}.png`, fullPage: true});
}
