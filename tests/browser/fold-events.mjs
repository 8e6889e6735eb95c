// The item page's timeline folds each run of reminders (催办) or
// supervisions (督办) into one line with its count and first time, and
// leaves every other event alone: view-item.js's foldEvents under node
// (the module's imports touch no DOM until a page is drawn).
// Usage: node fold-events.mjs WWW_DIR
import {pathToFileURL} from 'node:url';
import path from 'node:path';

globalThis.localStorage = {getItem() { return null; }, setItem() {}};
globalThis.navigator = {language: 'zh-CN'};
const www = process.argv[2];
const {foldEvents} = await import(pathToFileURL(path.join(www, 'view-item.js')).href);

const ev = (seq, kind, at) => ({seq, kind, at, note: `n${seq}`});
const got = foldEvents([ev(1, 'route', 10), ev(2, 'remind', 20), ev(3, 'remind', 30),
	ev(4, 'sign', 40), ev(5, 'supervise', 50), ev(6, 'supervise', 60),
	ev(7, 'supervise', 70), ev(8, 'remind', 80), ev(9, 'comment', 90),
	ev(10, 'comment', 100)]).map(e => [e.seq, e.kind, e.times, e.first, e.at, e.note]);
const want = [[1, 'route', 1, 10, 10, 'n1'], [3, 'remind', 2, 20, 30, 'n3'],
	[4, 'sign', 1, 40, 40, 'n4'], [7, 'supervise', 3, 50, 70, 'n7'],
	[8, 'remind', 1, 80, 80, 'n8'], [9, 'comment', 1, 90, 90, 'n9'],
	[10, 'comment', 1, 100, 100, 'n10']];
if (JSON.stringify(got) !== JSON.stringify(want)) {
	console.error(`fold-events: got  ${JSON.stringify(got)}\n             want ${JSON.stringify(want)}`);
	process.exit(1);
}
console.log(`fold-events: ok (${want.length} lines from 10 events)`);
