// Every word the dashboard shows, in Chinese (the default) and English, and
// the formats of numbers, dates and countdowns in each. The choice sticks in
// localStorage; with none stored, an English browser gets English.

const STORE_KEY = 'minqing.lang';

const zh = {
	app: '民情气象',
	skip: '跳到正文',
	nav_overview: '一屏统览',
	nav_stats: '统计分析',
	nav_export: '台账导出',
	nav_wall: '大屏',
	switch_lang: 'English',
	switch_lang_title: 'Switch to English',
	logout: '退出',
	live_on: '实时',
	live_off: '连接中断，正在重连',
	loading: '正在加载…',
	retry: '重试',

	login_title: '登录',
	login_user: '用户名',
	login_password: '密码',
	login_submit: '登录',
	login_hint: '请使用县、镇或村的工作账号登录。',

	fig_collected: '收集民意',
	fig_solved: '解决困难',
	fig_mediated: '调处纠纷',
	fig_open: '在办事项',
	fig_on_time: '按期办结率',
	fig_satisfaction: '满意率',
	none_yet: '暂无',

	weather_title: '民情天气',
	areas_title: '下辖区域',
	urgent_title: '红橙事项（按期限排序）',
	urgent_empty: '当前没有在办的红色或橙色事项。',
	open_title: '在办事项',
	open_empty: '没有在办事项。',
	offline_title: '离线站点',
	offline_none: '所有站点在线。',
	offline_count: '{n} 个站点离线',
	last_seen: '最后在线',
	never_seen: '从未上线',
	alerts_title: '研判预警',
	system_title: '系统存储',
	system_unknown: '尚无存储情况（中心服务未写入）。',
	system_disk: '磁盘',
	system_disk_ok: '正常',
	system_disk_full: '已满（自 {since}），暂停接收',
	system_wal: '预写日志',
	system_checkpoint: '最近检查点',
	system_ckpt_ok: '成功，{at}',
	system_ckpt_failed: '失败，{at}',
	system_failed: '检查点失败',
	system_failed_n: '{n} 次（共 {all} 次）',
	alert_line: '{area}：{category}类{colour}色预警，{count} 件',
	stations: '站点 {n}',
	offline_short: '离线 {n}',
	open_short: '在办',
	scope_level: '{tier}级',
	children_none: '本级没有下辖站点。',
	more_items: '共 {total} 件，显示前 {n} 件',

	col_colour: '颜色',
	col_title: '标题',
	col_origin: '上报站点',
	col_handler: '承办站点',
	col_state: '状态',
	col_deadline: '剩余时间',
	col_received: '上报时间',
	col_category: '类别',

	left: '剩 {d}',
	overdue: '超时 {d}',
	left_sign: '签收剩 {d}',
	overdue_sign: '签收超时 {d}',
	left_resolve: '办结剩 {d}',
	overdue_resolve: '办结超时 {d}',
	new_red: '新的红色事项：{title}',
	dur_d: '{n}天',
	dur_h: '{n}小时',
	dur_m: '{n}分',
	dur_s: '{n}秒',

	item_title: '事项详情',
	item_id: '编号',
	item_text: '内容',
	item_people: '涉及人数',
	item_reporter: '反映人',
	item_phone: '联系电话',
	item_member: '承办人',
	item_rating: '群众评价',
	item_created: '上报时间',
	item_received: '送达时间',
	item_deadline: '期限',
	item_escalations: '升级次数',
	item_origin: '上报站点',
	item_handler: '承办站点',
	item_category: '类别',
	item_colour: '颜色',
	item_state: '状态',
	timeline: '办理过程',
	timeline_empty: '暂无记录。',
	actions_title: '可办理的操作',
	actions_none: '您当前不能对此事项进行操作。',
	by: '{actor}',
	actor_hub: '系统',
	event_to: '转至 {handler}',
	event_times: '共 {n} 次',
	f_note: '备注',
	f_feedback: '办理结果（反馈给群众）',
	f_reason: '原因',
	f_member: '服务队成员',
	f_member_pick: '请选择',
	f_until: '延期至',
	f_rating: '评价',
	f_comment: '备注内容',
	f_into: '合并到事项（编号）',
	done_action: '已{action}。',
	back_overview: '返回总览',
	not_found: '没有找到，或不在您的管辖范围内。',

	stats_title: '统计分析',
	stats_scope: '范围',
	stats_period: '周期',
	stats_from: '起',
	stats_to: '止',
	stats_show: '查看',
	period_day: '按日',
	period_week: '按周',
	period_month: '按月',
	chart_category: '各类别事项趋势',
	chart_colour: '各颜色事项趋势',
	chart_escalations: '升级次数',
	escalations: '升级',
	ranking_title: '工作绩效排位',
	rank_by_on_time: '按期办结率排序',
	rank_by_satisfaction: '满意率排序',
	rank_by_sign: '按期签收率排序',
	ranking_handled: '按办理单位（谁办理记谁）',
	ranking_reported: '按上报地区',
	ranking_villages: '全县各村排位',
	ranking_villages_hint: '全县每个村按其办理的事项排位（谁办理记谁），口径同上。',
	fig_sign_rate: '按期签收率',
	fig_overdue: '超期',
	rank: '名次',
	rank_name: '区域',
	rank_closed: '办结数',
	data_table: '数据表',
	bucket: '时间',
	chart_loading_failed: '图表库加载失败。',

	export_title: '台账导出',
	export_intro: '导出所选范围和时段内的事项台账，可按状态、等级和服务事项筛选。',
	export_scope: '范围',
	export_from: '开始日期',
	export_to: '结束日期',
	export_lang: '表头语言',
	export_csv: '下载 CSV',
	export_xlsx: '下载 Excel (.xlsx)',
	export_state: '状态',
	export_colour: '当前等级',
	export_category: '服务事项',
	export_any: '全部',
	export_open: '在办（未办结）',
	err_bad_filter_period: '导出时段有误：开始日期须早于结束日期。',
	err_bad_filter_scope: '导出范围有误。',
	err_bad_filter_state: '导出条件“状态”有误。',
	err_bad_filter_colour: '导出条件“等级”有误。',
	err_bad_filter_category: '导出条件“服务事项”有误。',

	wall_title: '民情气象 · 一屏统览',
	wall_focus: '轮播：{name}',
	wall_keys: 'F 全屏 · ←/→ 切换 · 空格 暂停 · Esc 退出',
	wall_paused: '已暂停',
	wall_ticker: '超期事项',
	wall_ticker_head: '超期 {n} 件 · 督办 {s} 件',
	wall_supervised: '督办',
	wall_trend: '近7日受理与办结',
	wall_trend_in: '受理',
	wall_trend_done: '办结',
	wall_trend_day: '{day}：受理 {in} 件，办结 {done} 件',
	fig_today_in: '今日受理',
	fig_today_done: '今日办结',

	err_network: '无法连接到服务器，请检查网络后重试。',
	err_unauthorized: '登录已过期，请重新登录。',
	err_bad_login: '用户名或密码错误。',
	err_forbidden: '您没有权限进行此操作。',
	err_not_found: '没有找到，或不在您的管辖范围内。',
	err_conflict: '事项的当前状态不允许此操作，可能已被他人处理。',
	err_bad_request: '填写的内容有误，请检查后再提交。',
	err_too_large: '内容太长。',
	err_throttled: '操作过于频繁，请 {s} 秒后再试。',
	err_internal: '服务器出错，请稍后再试。',
	err_other: '操作未成功（{code}）。',
	err_detail: '详情：{message}',
	err_required: '请填写{field}。',
};

const en = {
	app: 'Minqing Weather',
	skip: 'Skip to content',
	nav_overview: 'Overview',
	nav_stats: 'Statistics',
	nav_export: 'Ledger export',
	nav_wall: 'Wall screen',
	switch_lang: '中文',
	switch_lang_title: '切换到中文',
	logout: 'Log out',
	live_on: 'Live',
	live_off: 'Disconnected, reconnecting',
	loading: 'Loading…',
	retry: 'Retry',

	login_title: 'Log in',
	login_user: 'User name',
	login_password: 'Password',
	login_submit: 'Log in',
	login_hint: 'Log in with your county, town or village work account.',

	fig_collected: 'Opinions collected',
	fig_solved: 'Hardships solved',
	fig_mediated: 'Disputes mediated',
	fig_open: 'Open items',
	fig_on_time: 'On-time rate',
	fig_satisfaction: 'Satisfaction',
	none_yet: 'n/a',

	weather_title: 'Sentiment weather',
	areas_title: 'Areas',
	urgent_title: 'Red and orange items (soonest deadline first)',
	urgent_empty: 'No open red or orange items.',
	open_title: 'Open items',
	open_empty: 'No open items.',
	offline_title: 'Stations offline',
	offline_none: 'All stations online.',
	offline_count: '{n} stations offline',
	last_seen: 'last seen',
	never_seen: 'never seen',
	alerts_title: 'Pattern alerts',
	system_title: 'Storage',
	system_unknown: 'No storage figures yet (the hub has not written them).',
	system_disk: 'Disk',
	system_disk_ok: 'OK',
	system_disk_full: 'Full since {since}: not storing',
	system_wal: 'Write-ahead log',
	system_checkpoint: 'Last checkpoint',
	system_ckpt_ok: 'OK, {at}',
	system_ckpt_failed: 'Failed, {at}',
	system_failed: 'Failed checkpoints',
	system_failed_n: '{n} of {all}',
	alert_line: '{area}: {colour} alert, {category}, {count} items',
	stations: '{n} stations',
	offline_short: '{n} offline',
	open_short: 'open',
	scope_level: '{tier}',
	children_none: 'No stations below this one.',
	more_items: '{total} in all, first {n} shown',

	col_colour: 'Colour',
	col_title: 'Title',
	col_origin: 'Reported by',
	col_handler: 'Handled by',
	col_state: 'State',
	col_deadline: 'Time left',
	col_received: 'Received',
	col_category: 'Category',

	left: '{d} left',
	overdue: 'overdue {d}',
	left_sign: '{d} left to sign',
	overdue_sign: 'signing overdue {d}',
	left_resolve: '{d} left to resolve',
	overdue_resolve: 'resolving overdue {d}',
	new_red: 'New red item: {title}',
	dur_d: '{n}d',
	dur_h: '{n}h',
	dur_m: '{n}m',
	dur_s: '{n}s',

	item_title: 'Item',
	item_id: 'Number',
	item_text: 'Text',
	item_people: 'People involved',
	item_reporter: 'Reported by (resident)',
	item_phone: 'Phone',
	item_member: 'Assigned to',
	item_rating: 'Resident rating',
	item_created: 'Filed',
	item_received: 'Reached the hub',
	item_deadline: 'Deadline',
	item_escalations: 'Escalations',
	item_origin: 'Reporting station',
	item_handler: 'Handling station',
	item_category: 'Category',
	item_colour: 'Colour',
	item_state: 'State',
	timeline: 'Timeline',
	timeline_empty: 'No events yet.',
	actions_title: 'What you can do',
	actions_none: 'You cannot act on this item now.',
	by: '{actor}',
	actor_hub: 'system',
	event_to: 'to {handler}',
	event_times: '{n} times',
	f_note: 'Note',
	f_feedback: 'Outcome (fed back to the resident)',
	f_reason: 'Reason',
	f_member: 'Service-team member',
	f_member_pick: 'Choose',
	f_until: 'Extend until',
	f_rating: 'Rating',
	f_comment: 'Comment',
	f_into: 'Merge into item (number)',
	done_action: 'Done: {action}.',
	back_overview: 'Back to overview',
	not_found: 'Not found, or outside your area.',

	stats_title: 'Statistics',
	stats_scope: 'Area',
	stats_period: 'Period',
	stats_from: 'From',
	stats_to: 'To',
	stats_show: 'Show',
	period_day: 'Daily',
	period_week: 'Weekly',
	period_month: 'Monthly',
	chart_category: 'Items by category',
	chart_colour: 'Items by colour',
	chart_escalations: 'Escalations',
	escalations: 'Escalations',
	ranking_title: 'Performance ranking',
	rank_by_on_time: 'By on-time rate',
	rank_by_satisfaction: 'By satisfaction',
	rank_by_sign: 'By sign-for on time',
	ranking_handled: 'By items handled (credit to whoever did the work)',
	ranking_reported: 'By items reported in the area',
	ranking_villages: 'Villages of the county',
	ranking_villages_hint: 'Every village of the county, ranked by the items it handles (credit to whoever did the work), by the same figures.',
	fig_sign_rate: 'Signed for on time',
	fig_overdue: 'Overdue',
	rank: 'Rank',
	rank_name: 'Area',
	rank_closed: 'Closed',
	data_table: 'Data table',
	bucket: 'Period',
	chart_loading_failed: 'The chart library failed to load.',

	export_title: 'Ledger export',
	export_intro: 'Export the ledger of items in an area and period, filtered by state, colour and service item if you like.',
	export_scope: 'Area',
	export_from: 'From',
	export_to: 'To',
	export_lang: 'Header language',
	export_csv: 'Download CSV',
	export_xlsx: 'Download Excel (.xlsx)',
	export_state: 'State',
	export_colour: 'Current colour',
	export_category: 'Service item',
	export_any: 'All',
	export_open: 'Open (not resolved)',
	err_bad_filter_period: 'The export period is wrong: the start must be before the end.',
	err_bad_filter_scope: 'The export area is wrong.',
	err_bad_filter_state: 'The export\'s state filter is wrong.',
	err_bad_filter_colour: 'The export\'s colour filter is wrong.',
	err_bad_filter_category: 'The export\'s service item filter is wrong.',

	wall_title: 'Minqing Weather · Wall screen',
	wall_focus: 'Showing: {name}',
	wall_keys: 'F full screen · ←/→ switch · Space pause · Esc leave',
	wall_paused: 'Paused',
	wall_ticker: 'Overdue items',
	wall_ticker_head: 'Overdue {n} · supervised {s}',
	wall_supervised: 'Supervised',
	wall_trend: 'Last 7 days',
	wall_trend_in: 'received',
	wall_trend_done: 'closed',
	wall_trend_day: '{day}: {in} received, {done} closed',
	fig_today_in: 'Received today',
	fig_today_done: 'Closed today',

	err_network: 'Cannot reach the server. Check the network and try again.',
	err_unauthorized: 'Your session has ended. Please log in again.',
	err_bad_login: 'Wrong user name or password.',
	err_forbidden: 'You are not allowed to do this.',
	err_not_found: 'Not found, or outside your area.',
	err_conflict: 'The item\'s state does not allow this; someone may have acted on it already.',
	err_bad_request: 'Something in the form is not right. Please check it.',
	err_too_large: 'Too long.',
	err_throttled: 'Too many attempts. Try again in {s} seconds.',
	err_internal: 'The server failed. Please try again later.',
	err_other: 'That did not work ({code}).',
	err_detail: 'Details: {message}',
	err_required: 'Please fill in: {field}.',
};

// The protocol's enumerations (protocol/names.c, protocol/workflow.c).
const enums = {
	colour: {
		blue: ['蓝', 'blue'], orange: ['橙', 'orange'], red: ['红', 'red'],
	},
	category: {
		industry: ['产业发展', 'Industry development'],
		infrastructure: ['设施建设', 'Infrastructure'],
		livelihood: ['民生保障', 'Livelihood security'],
		dispute: ['矛盾调处', 'Dispute mediation'],
		security: ['治安联防', 'Joint security'],
		proxy: ['便民服务代理', 'Proxy services'],
		left_behind: ['留守人员代管', 'Left-behind people'],
		ceremony: ['红白理事', 'Weddings and funerals'],
	},
	state: {
		reported: ['已上报', 'reported'], signed: ['已签收', 'signed'],
		assigned: ['已交办', 'assigned'], resolved: ['已办结', 'resolved'],
		verified: ['已回访', 'verified'], rated: ['已评价', 'rated'],
		withdrawn: ['已撤回', 'withdrawn'], merged: ['已合并', 'merged'],
	},
	weather: {
		clear: ['晴', 'Clear'], cloudy: ['多云', 'Cloudy'],
		overcast: ['阴', 'Overcast'], rain: ['雨', 'Rain'], storm: ['雷暴', 'Storm'],
	},
	tier: {
		county: ['县', 'County'], town: ['镇', 'Town'],
		village: ['村', 'Village'], group: ['组', 'Group'],
	},
	// Steps of the workflow (闭环), and what the hub itself records.
	kind: {
		report: ['上报', 'reported'], route: ['分派', 'routed'],
		remind: ['催办', 'reminder'], escalate: ['升级', 'escalated'],
		supervise: ['督办', 'supervised'],
		sign: ['签收', 'signed'], assign: ['交办', 'assigned'],
		resolve: ['办结', 'resolved'], return: ['退单', 'returned'],
		extend: ['延期', 'extended'], verify: ['回访', 'verified'],
		rate: ['评价', 'rated'], reopen: ['重办', 'reopened'],
		merge: ['合并', 'merged'], withdraw: ['撤回', 'withdrawn'],
		comment: ['备注', 'comment'], alert: ['预警', 'alert'],
	},
	action: {
		sign: ['签收', 'Sign for it'], assign: ['交办', 'Assign'],
		resolve: ['办结', 'Resolve'], return: ['退单', 'Return'],
		extend: ['延期', 'Extend'], verify: ['回访', 'Verify'],
		rate: ['评价', 'Rate'], reopen: ['重办', 'Reopen'],
		merge: ['合并', 'Merge'], withdraw: ['撤回', 'Withdraw'],
		comment: ['备注', 'Comment'],
	},
	rating: {
		satisfied: ['满意', 'satisfied'], basic: ['基本满意', 'basically satisfied'],
		unsatisfied: ['不满意', 'not satisfied'],
	},
};

let current = pick();

function pick() {
	let stored = null;
	try {
		stored = localStorage.getItem(STORE_KEY);
	} catch (e) {
		// Storage may be off (private mode); the default still applies.
	}
	if (stored === 'zh' || stored === 'en')
		return stored;
	const nav = (navigator.language || '').toLowerCase();
	return nav.startsWith('en') ? 'en' : 'zh';
}

export function lang() {
	return current;
}

export function setLang(l) {
	current = l === 'en' ? 'en' : 'zh';
	try {
		localStorage.setItem(STORE_KEY, current);
	} catch (e) {
		// Not stored: the switch lasts for this page only.
	}
	document.documentElement.lang = current === 'en' ? 'en' : 'zh-CN';
}

function fill(s, vars) {
	return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

// The server's error details (dashboard/*.c, in English for engineers) as a
// Chinese screen says them. A detail not listed here is left off Chinese
// screens: the error's plain text (err_*) already says what happened.
const zhDetails = {
	'no such area within your scope': '这个地区不在您的管辖范围内。',
	'no such item within your scope': '这件事不在您的管辖范围内。',
	'no such item in your scope': '这件事不在您的管辖范围内。',
	'no such page': '没有这个页面。',
	'no such call': '没有这个功能。',
	"the item's state does not allow this step": '事项现在的状态不能做这一步。',
	'your station may not take this step': '您所在的站点不能办理这一步。',
	'a field is missing': '有必填的内容没有填。',
	'a field has a bad value': '有一项填写的内容不对。',
	'the hub could not store the step': '县里系统没能保存这一步，请稍后再试。',
	'the hub is stopping': '县里系统正在停止，请稍后再试。',
	'too many sessions': '登录的人太多，请稍后再试。',
	'not signed in, or the session expired': '没有登录，或登录已过期。',
	'wrong user name or password': '用户名或密码错误。',
	'missing or wrong CSRF token': '页面已过期，请刷新后再试。',
	'the request comes from another site': '请求来自别的网站，已拒绝。',
	'the body is larger than 16 KiB': '提交的内容太长。',
	'unknown state, colour or category': '状态、等级或类别不对。',
	'period is day, week or month': '统计周期只能按日、周或月。',
	'from and to are ms with from < to, at most five years apart': '起止时间不对（最长五年）。',
	'more than 400 buckets': '时间段太长，请缩短后再试。',
	'limit is 1..500, offset 0 or more': '一次最多查看 500 件。',
};

/** The server's error detail in the current language, or null where a
 * Chinese screen has no words for it. */
export function detailText(message) {
	if (!message)
		return null;
	if (current === 'en')
		return message;
	if (message in zhDetails)
		return zhDetails[message];
	const field = /^([a-z_]+): (required for this step|not acceptable|bad value)$/.exec(message);
	if (field)
		return field[2] === 'required for this step' ? '这一步还有必填的内容没有填。'
			: '有一项填写的内容不对。';
	return null;
}

/** The string `key` in the current language, {name}s filled from vars. */
export function t(key, vars) {
	const table = current === 'en' ? en : zh;
	return fill(key in table ? table[key] : key, vars);
}

/** The display name of an enumeration value (kind: colour, category, state,
 * weather, tier, kind, action, rating); unknown values are shown as they are. */
export function name(kind, value) {
	const e = enums[kind] && enums[kind][value];
	return e ? e[current === 'en' ? 1 : 0] : String(value ?? '');
}

export function keys(kind) {
	return Object.keys(enums[kind]);
}

function locale() {
	return current === 'en' ? 'en-GB' : 'zh-CN';
}

/** A moment as date and time in the current language. */
export function fmtTime(ms) {
	if (ms == null)
		return '—';
	return new Intl.DateTimeFormat(locale(), {
		year: 'numeric', month: 'short', day: 'numeric',
		hour: '2-digit', minute: '2-digit', hour12: false,
	}).format(new Date(ms));
}

/** A day (for chart buckets and date fields). */
export function fmtDate(ms) {
	return new Intl.DateTimeFormat(locale(), {
		year: 'numeric', month: 'short', day: 'numeric',
	}).format(new Date(ms));
}

export function fmtClock(ms) {
	return new Intl.DateTimeFormat(locale(), {
		hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
	}).format(new Date(ms));
}

export function fmtNumber(n) {
	return n == null ? t('none_yet') : new Intl.NumberFormat(locale()).format(n);
}

export function fmtPercent(x) {
	return x == null ? t('none_yet') : new Intl.NumberFormat(locale(), {
		style: 'percent', maximumFractionDigits: 1,
	}).format(x);
}

/** A span of time as "1天2小时" / "1d 2h", the two largest units, seconds
 * shown under an hour so that a countdown visibly ticks. */
export function fmtDuration(ms) {
	let s = Math.max(0, Math.floor(ms / 1000));
	const d = Math.floor(s / 86400); s -= d * 86400;
	const h = Math.floor(s / 3600); s -= h * 3600;
	const m = Math.floor(s / 60); s -= m * 60;
	const parts = [];
	if (d) parts.push(t('dur_d', {n: d}), t('dur_h', {n: h}));
	else if (h) parts.push(t('dur_h', {n: h}), t('dur_m', {n: m}));
	else parts.push(t('dur_m', {n: m}), t('dur_s', {n: String(s).padStart(2, '0')}));
	return parts.join(current === 'en' ? ' ' : '');
}
