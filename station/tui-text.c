/* The texts of the full-screen client that are more than a word: what each
 * service item covers, what each colour means, the keys of the steps and
 * the help page, in Chinese (default) and English. */
#include "station/tui.h"

static const struct { const char *zh, *en, *hint_zh, *hint_en; } categories[] = {
	{"产业发展", "Industry", "种植养殖、合作社、务工就业、技术和销路",
	 "farming, co-ops, jobs, skills, markets"},
	{"设施建设", "Infrastructure", "道路、桥梁、饮水、电力、通讯等坏了或缺少",
	 "roads, bridges, water, power: broken or missing"},
	{"民生保障", "Livelihood", "低保、医保、养老、住房、困难救助",
	 "minimum income, health cover, pensions, housing"},
	{"矛盾调处", "Disputes", "邻里、家庭、土地山林等纠纷的调解",
	 "between neighbours, in families, over land"},
	{"治安联防", "Security", "可疑人员、偷盗、安全隐患、防火防汛",
	 "suspicious people, theft, hazards, fire, floods"},
	{"便民服务代理", "Errands", "替群众代办证件、手续、缴费",
	 "for residents: papers, permits, payments"},
	{"留守人员代管", "Left-behind", "留守老人、儿童和残疾人的照看、探望",
	 "care of elders, children, disabled people"},
	{"红白理事", "Ceremonies", "婚事、丧事的操办，移风易俗",
	 "weddings and funerals, kept simple"},
};

static const struct { const char *zh, *en, *meaning_zh, *meaning_en; } colours[] = {
	{"蓝色", "Blue", "一般的、个人或一家的事：村里办理。拿不准就选蓝色。",
	 "ordinary, one person or household: the village handles it. If unsure, blue."},
	{"橙色", "Orange", "较重的事，或村里办不了的：镇里办理。",
	 "serious, or beyond the village: the town handles it."},
	{"红色", "Red", "紧急、重大或很多人的群体性事件：直接报县里办理。",
	 "urgent, major, or many people involved: straight to the county."},
};

const char *tui_category_label(int c)
{
	if (c < 0 || c >= PROTO_CAT__COUNT)
		return "?";
	return T(categories[c].zh, categories[c].en);
}

const char *tui_category_hint(int c)
{
	if (c < 0 || c >= PROTO_CAT__COUNT)
		return "";
	return T(categories[c].hint_zh, categories[c].hint_en);
}

const char *tui_colour_label(int c)
{
	if (c < 0 || c >= PROTO_COLOUR__COUNT)
		return "?";
	return T(colours[c].zh, colours[c].en);
}

const char *tui_colour_meaning(int c)
{
	if (c < 0 || c >= PROTO_COLOUR__COUNT)
		return "";
	return T(colours[c].meaning_zh, colours[c].meaning_en);
}

/* One letter per step, the same in both languages. */
static const char step_keys[PROTO_STEP__COUNT] = {
	[PROTO_STEP_SIGN] = 's', [PROTO_STEP_ASSIGN] = 'a', [PROTO_STEP_RESOLVE] = 'd',
	[PROTO_STEP_RETURN] = 'b', [PROTO_STEP_EXTEND] = 'e', [PROTO_STEP_VERIFY] = 'v',
	[PROTO_STEP_RATE] = 'r', [PROTO_STEP_REOPEN] = 'o', [PROTO_STEP_MERGE] = 'm',
	[PROTO_STEP_WITHDRAW] = 'w', [PROTO_STEP_COMMENT] = 'c',
};

char tui_step_key(proto_step step)
{
	return step < PROTO_STEP__COUNT ? step_keys[step] : '?';
}

const char *tui_step_label(proto_step step)
{
	return station_cli_english ? proto_step_name(step) : proto_step_name_zh(step);
}

const char *tui_help_text(void)
{
	return T(
"民情气象 · 村文书终端  使用说明\n"
"\n"
"【怎样上报一件事】\n"
"1. 在主菜单按 1（或用 ↑↓ 选“新建上报”，再按回车）。\n"
"2. 选类别：用 ↑↓ 移动，按回车确定（也可以直接按数字 1 到 8）。每个类别后面有一句说明。\n"
"3. 选颜色：蓝、橙、红，每种颜色后面写着由谁办理。拿不准就选蓝色。\n"
"4. 填写：标题（一句话说清是什么事）、内容（详细情况，可以写多行）、反映人姓名和电话（可以不填，属于个人信息，只有办理的人看得到）、涉及人数（可以不填）。\n"
"   · 按 Tab 键或 ↓ 到下一栏，按 ↑ 回到上一栏。在“内容”栏里按回车是换行。\n"
"   · 中文用电脑的输入法输入，和平时打字一样。打错了按退格键（Backspace）删掉。\n"
"5. 填好后移到“下一步：检查并保存”按回车（或者直接按 F2）。哪里没填对，屏幕下方会用红字说明。\n"
"6. 检查页列出本村同一类还没办完的事。如果说的是同一件事，选中它按回车，这次的情况会补充到那件事里，不会重复上报；不是同一件事，就选“作为新的上报保存”按回车。\n"
"7. 屏幕上出现绿色的“已保存”，这条上报就已经存在本站电脑里了，断网、关机都不会丢，联网后自动送到县里。\n"
"\n"
"【我的上报】（主菜单按 2）\n"
"本站报过的事和它们现在到了哪一步：待发送（还没联网送出）、已送达（县里已收到）、已签收、已交办、已办结、已回访、已评价。用 ↑↓ 选择，回车看详情和办理进程。\n"
"事情办结后要回访群众：在详情里按 v 写回访情况，再按 r 记下群众的评价（满意、基本满意、不满意）。在已办结的事上直接按 r，会先问回访情况，再问评价。不满意会退回重办。\n"
"\n"
"【待办事项】（主菜单按 3）\n"
"交给本站办理的事（本村的蓝色事项，和交办到本站的事）。回车打开，按屏幕下方列出的键办理：s 签收，a 交办给服务队员，d 办结（写办理结果），b 退单（写原因），e 延期（写新期限和原因），c 备注。\n"
"\n"
"【最下面一行】\n"
"“县里：已连通”或“已断开”；“待发送”是还没送到县里的条数；“最近联系”是最后一次和县里连通的时间。断开时照常上报、办理，联网后自动发送。显示“本站程序未运行”时也能照常保存，请联系管理员启动 minqing-station。\n"
"\n"
"【按键】\n"
"F1 或 ? 打开本说明（在输入框里请按 F1）；Esc 返回上一页；主菜单按 q 退出。改变窗口大小不会丢失已输入的内容；没保存就退出时会先问你。\n"
"\n"
"按 Esc 或 q 关闭说明，↑↓ 翻看。\n",
"minqing · the village clerk's terminal  Help\n"
"\n"
"[Filing a report]\n"
"1. On the main menu press 1 (or move to \"New report\" with Up/Down and press Enter).\n"
"2. Pick the service item with Up/Down and Enter (or press 1 to 8). Each has a line saying what it covers.\n"
"3. Pick the colour: blue, orange or red; each says who handles it. If unsure, pick blue.\n"
"4. Fill in: title (one line: what happened), text (the details, several lines allowed), the resident's name and phone (optional; personal data, shown only to those who handle the item), people affected (optional).\n"
"   - Tab or Down goes to the next field, Up to the previous one. Enter in the text field starts a new line.\n"
"   - Type Chinese with the computer's input method as usual; Backspace deletes a character.\n"
"5. Then move to \"Next: check and save\" and press Enter (or press F2). Anything missing or wrong is explained in red at the bottom.\n"
"6. The check page lists open items of the same service item at this village. If yours is the same matter, pick it and press Enter: what you wrote is added to it instead of filing a duplicate. Otherwise pick \"Save as a new report\" and press Enter.\n"
"7. When \"Saved\" shows in green, the report is on this station's disk: safe with no network or power cut; it goes to the hub when the link is up.\n"
"\n"
"[My reports] (menu key 2)\n"
"This station's reports and where each stands: queued (not sent yet), received (the hub has it), signed, assigned, resolved, verified, rated. Up/Down to choose, Enter for the details and timeline.\n"
"After an item is resolved, visit the resident: in the details press v to record the visit, then r for the resident's rating (satisfied, basic, unsatisfied). Pressing r on a resolved item asks for the visit first, then the rating. Unsatisfied reopens the item.\n"
"\n"
"[Inbox] (menu key 3)\n"
"Items this station must handle (the village's blue items and those assigned here). Enter opens one; the keys at the bottom act on it: s sign, a assign to a team member, d resolve (with the result), b return (with a reason), e extend (new deadline and reason), c comment.\n"
"\n"
"[The bottom line]\n"
"Hub: up or down; queued: messages not yet at the hub; last contact: when the hub was last reachable. While down, keep working: everything is sent when the link is back. \"Agent not running\": saving still works; ask the administrator to start minqing-station.\n"
"\n"
"[Keys]\n"
"F1 or ? opens this help (in a text field press F1); Esc goes back; q on the main menu quits. Resizing the window loses nothing typed; quitting with an unsaved report asks first.\n"
"\n"
"Esc or q closes the help; Up/Down scroll.\n");
}
