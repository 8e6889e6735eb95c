/* What the simulated stations say: reports with short Chinese titles and texts
 * that fit their category, colours and categories drawn from the run's mixes,
 * and synthetic county registries. Every resident named here is made up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/fleet.h"
#include "protocol/clock.h"
#include "protocol/code.h"
#include "protocol/workflow.h"

typedef struct topic {
	const char *title; /* ≤ 100 code points, single line */
	const char *what;  /* the matter, one clause */
} topic;

#define TOPICS 6

static const topic topics[PROTO_CAT__COUNT][TOPICS] = {
	[PROTO_CAT_INDUSTRY] = {
		{"核桃收购价格偏低", "今年核桃丰收，但收购商压价，群众希望帮助联系销路"},
		{"茶园春管缺技术", "茶农反映春茶采摘前缺少修剪和施肥方面的技术指导"},
		{"养殖贷款申请咨询", "养殖户想扩大生猪养殖规模，咨询产业贴息贷款的申请条件"},
		{"魔芋种植遇病害", "魔芋出现大面积软腐病，群众担心减产，请求农技人员上门"},
		{"合作社分红有疑问", "部分社员对合作社年终分红的计算方法有疑问，要求公开账目"},
		{"板栗林需要修枝", "板栗林多年未修枝，挂果少，希望组织一次技术培训"},
	},
	[PROTO_CAT_INFRASTRUCTURE] = {
		{"通组道路塌方", "连日降雨致通组道路约二十米塌方，车辆无法通行"},
		{"饮水管道冻裂", "寒潮后入户饮水管道冻裂，多户群众吃水困难"},
		{"便民桥护栏损坏", "河上便民桥护栏松动断裂，学生上下学存在安全隐患"},
		{"路灯不亮", "村道路灯已坏半月，夜间群众出行不便"},
		{"河堤被洪水冲毁", "汛期洪水冲毁一段河堤，沿河农田和房屋受到威胁"},
		{"危房需要鉴定", "老旧土坯房墙体开裂，群众请求做危房鉴定"},
	},
	[PROTO_CAT_LIVELIHOOD] = {
		{"低保申请咨询", "家中主要劳动力因病失去收入，咨询低保申请流程"},
		{"医保缴费有困难", "家庭经济困难，无力按时缴纳城乡居民医保"},
		{"独居老人取暖困难", "独居老人冬季缺少取暖用煤，请求帮扶"},
		{"残疾人补贴未到账", "残疾人两项补贴已三个月未到账，请求核查"},
		{"学生资助申请", "家中两名学生上学负担重，咨询教育资助政策"},
		{"临时救助申请", "家中突发火灾，生活用品损毁，申请临时救助"},
	},
	[PROTO_CAT_DISPUTE] = {
		{"山林边界纠纷", "两户因山林边界发生争执，多次协商未果，需要调解"},
		{"宅基地界址争议", "邻居新建房屋占用部分宅基地，双方争执不下"},
		{"邻里排水纠纷", "上户排水流入下户院内，双方发生口角"},
		{"土地流转费用争议", "群众与流转方对土地租金支付时间有争议"},
		{"赡养纠纷", "老人子女对赡养费用分摊意见不一，老人生活无着"},
		{"务工工资拖欠", "群众在外务工被拖欠工资，请求帮助维权"},
	},
	[PROTO_CAT_SECURITY] = {
		{"夜间可疑车辆", "近几晚村口有陌生车辆停留，群众担心财物安全"},
		{"电信诈骗预警", "有老人接到冒充公检法的诈骗电话，需要上门宣传防范"},
		{"山林防火隐患", "有人在林区边缘烧荒，存在山火隐患"},
		{"村口监控损坏", "村口治安监控摄像头损坏，需要维修"},
		{"地灾隐患点有裂缝", "地质灾害隐患点后山出现新裂缝，需要排查"},
		{"防汛值守人员不足", "汛期临近，防汛值守人员不足，需要安排轮班"},
	},
	[PROTO_CAT_PROXY] = {
		{"代办养老认证", "行动不便的老人需要代办养老保险资格认证"},
		{"代缴电费", "外出务工家庭委托代缴电费，避免停电"},
		{"代办身份证换领", "老人身份证到期，行动不便，需要代办换领"},
		{"代办残疾证", "群众需要办理残疾证，请代办员协助准备材料"},
		{"代领药品", "慢性病老人需要每月代领药品"},
		{"不动产登记咨询", "群众咨询房屋不动产登记需要的材料，请代办员协助"},
	},
	[PROTO_CAT_LEFT_BEHIND] = {
		{"留守儿童放学无人照看", "父母外出务工，孩子放学后无人照看"},
		{"独居老人需定期探望", "独居老人行动不便，需要安排人员定期探望"},
		{"留守老人就医陪护", "留守老人需要到县医院复查，无人陪护"},
		{"留守妇女技能培训", "留守妇女希望参加就近就业的技能培训"},
		{"留守儿童心理疏导", "留守儿童近期情绪低落，需要心理疏导"},
		{"空巢老人房屋漏雨", "空巢老人房屋漏雨，需要帮助修缮"},
	},
	[PROTO_CAT_CEREMONY] = {
		{"婚事简办登记", "群众家中下月办婚事，按村规民约登记简办"},
		{"丧事操办规模过大", "群众丧事计划大办，需要红白理事会劝导从简"},
		{"喜宴报备", "群众办升学宴，按规定向红白理事会报备"},
		{"白事需协调场地", "群众家中办白事，需要协调村委会场地"},
		{"高价彩礼劝导", "一户婚事彩礼要价过高，双方家庭有矛盾"},
		{"寿宴规模报备", "群众为老人办寿宴，报备宴席规模"},
	},
};

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱",
};
static const char *const forms[] = {"先生", "女士", "大爷", "大妈", "师傅"};

static const char *const asks[PROTO_COLOUR__COUNT] = {
	"请村里办理", "请镇上协调处理", "请县里尽快处置",
};

/* Index drawn with the given weights (their sum > 0). */
static int draw(fleet *f, const double *w, int n)
{
	double sum = 0, x;

	for (int i = 0; i < n; i++)
		sum += w[i];
	x = fleet_random(f) * sum;
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static int between(fleet *f, int lo, int hi)
{
	return lo + (int)(fleet_random(f) * (hi - lo + 1));
}

/* "孙家湾村二组" for a group, the village's own name above it. */
static void place(const fleet *f, const proto_station *st, char *out, size_t n)
{
	char parent[PROTO_CODE_MAX + 1];
	const proto_station *up = NULL;

	if (proto_code_tier(st->code) == PROTO_TIER_GROUP &&
	    proto_code_parent(st->code, parent))
		up = proto_registry_find(f->reg, parent);
	snprintf(out, n, "%s%s", up ? up->name : "", st->name);
}

char *fleet_content_report(fleet *f, const proto_station *st, int64_t id,
	int64_t wall_ms)
{
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_REPORT, .id = id,
		       .ts = wall_ms};
	proto_report *r = &m.u.report;
	char where[2 * PROTO_STATION_NAME_MAX], text[1024], name[32], phone[24];
	int households;

	snprintf(m.station, sizeof m.station, "%s", st->code);
	r->colour = (proto_colour)draw(f, f->o.colours, PROTO_COLOUR__COUNT);
	r->category = (proto_category)draw(f, f->o.categories, PROTO_CAT__COUNT);
	const topic *t = &topics[r->category][between(f, 0, TOPICS - 1)];
	static const int people_lo[] = {1, 5, 20}, people_hi[] = {6, 60, 300};
	r->people = between(f, people_lo[r->colour], people_hi[r->colour]);
	households = r->people / 3 + 1;
	place(f, st, where, sizeof where);
	snprintf(text, sizeof text, "%s：%s。涉及%d户%d人，%s。", where, t->what,
		households, r->people, asks[r->colour]);
	r->title = (char *)t->title;
	r->text = text;
	if (fleet_random(f) < f->o.personal_share) {
		snprintf(name, sizeof name, "%s%s",
			surnames[between(f, 0, sizeof surnames / sizeof *surnames - 1)],
			forms[between(f, 0, sizeof forms / sizeof *forms - 1)]);
		/* 0000 in the middle: the numbers of made-up residents. */
		snprintf(phone, sizeof phone, "1%d%d 0000 %04d", between(f, 3, 9),
			between(f, 0, 9), between(f, 0, 9999));
		r->reporter_name = name;
		r->reporter_phone = phone;
	}
	return proto_msg_encode(&m);
}

char *fleet_content_registry(const char *county, int towns, int villages, int groups)
{
	size_t n = (size_t)towns * (size_t)villages * (size_t)(groups + 1) +
		   (size_t)towns + 2, cap = n * 48 + 256, len = 0;
	char *text;

	if (proto_code_tier(county) != PROTO_TIER_COUNTY || towns < 1 || towns > 99 ||
	    villages < 1 || villages > 799 || groups < 0 || groups > 999 || n > 200000)
		return NULL;
	text = malloc(cap);
	if (!text)
		return NULL;
	/* Town digits 100–199 are 镇, village digits from 200 are 村委会. */
	len += (size_t)snprintf(text + len, cap - len,
		"# synthetic county written by minqing-fleet\ncode,name\n%s,模拟县\n", county);
	for (int t = 0; t < towns; t++) {
		len += (size_t)snprintf(text + len, cap - len, "%s%03d,模拟%d镇\n", county,
			100 + t, t + 1);
		for (int v = 0; v < villages; v++) {
			len += (size_t)snprintf(text + len, cap - len, "%s%03d%03d,模拟%d村\n",
				county, 100 + t, 200 + v, v + 1);
			for (int g = 0; g < groups; g++)
				len += (size_t)snprintf(text + len, cap - len,
					"%s%03d%03d%03d,%d组\n", county, 100 + t, 200 + v,
					g + 1, g + 1);
		}
	}
	return text;
}

bool fleet_content_parse_mix(const char *spec, const char *(*name)(int), int n,
	double *weights, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	double sum = 0;
	bool ok = copy != NULL;

	for (int i = 0; i < n; i++)
		weights[i] = 0;
	for (tok = ok ? strtok_r(copy, ",", &save) : NULL; ok && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		int i;
		if (!eq) {
			snprintf(err, errlen, "'%s' is not name=weight", tok);
			ok = false;
			break;
		}
		*eq = '\0';
		for (i = 0; i < n && strcmp(name(i), tok) != 0; i++)
			;
		double w = strtod(eq + 1, &end);
		if (i == n) {
			snprintf(err, errlen, "unknown name '%s'", tok);
			ok = false;
		} else if (end == eq + 1 || *end || !(w >= 0 && w <= 1e6)) {
			snprintf(err, errlen, "bad weight for '%s'", tok);
			ok = false;
		} else {
			weights[i] = w;
			sum += w;
		}
	}
	if (ok && !(sum > 0)) {
		snprintf(err, errlen, "the weights add up to nothing");
		ok = false;
	}
	free(copy);
	return ok;
}

/* What a diligent station does next with an item, by its role: the handler
 * signs for a new one and resolves a signed one; the visiting station (the
 * reporter, or the parent of one that handled its own report) verifies a
 * resolved one after its return visit and records the resident's rating
 * (mostly satisfied). Everything else waits for someone else. */
char *fleet_content_action(fleet *f, const proto_station *st, int64_t id,
	const proto_item *it)
{
	static const double ratings[PROTO_RATING__COUNT] = {80, 15, 5};
	proto_msg m = {.v = PROTO_VERSION, .type = PROTO_MSG_ACTION, .id = id,
		       .ts = proto_now_ms()};
	proto_action *a = &m.u.action;
	bool handler = strcmp(it->handler, st->code) == 0;
	/* The return visit's station: the reporter, or the handler's parent
	 * for a station's own report (nobody verifies their own work). */
	bool visitor = proto_workflow_roles(st->code, it->handler, it->origin) &
		       PROTO_ROLE_VISITOR;
	const char *state = it->state ? it->state : "";

	snprintf(m.station, sizeof m.station, "%s", st->code);
	snprintf(a->item, sizeof a->item, "%s", it->item);
	if (handler && strcmp(state, "reported") == 0) {
		a->action = (char *)proto_step_name(PROTO_STEP_SIGN);
	} else if (handler && strcmp(state, "signed") == 0) {
		a->action = (char *)proto_step_name(PROTO_STEP_RESOLVE);
		a->note = "已现场核实并办结。";
	} else if (visitor && strcmp(state, "resolved") == 0) {
		a->action = (char *)proto_step_name(PROTO_STEP_VERIFY);
		a->note = "已电话回访群众。";
	} else if (visitor && strcmp(state, "verified") == 0) {
		a->action = (char *)proto_step_name(PROTO_STEP_RATE);
		a->rating = (char *)proto_rating_name(
			(proto_rating)draw(f, ratings, PROTO_RATING__COUNT));
	} else {
		return NULL;
	}
	return proto_msg_encode(&m);
}
