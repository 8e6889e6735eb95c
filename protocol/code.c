/* Station code arithmetic. Codes are plain NUL-terminated digit strings so
 * they can go straight into topics, SQL and JSON without conversion. */
#include <string.h>

#include "protocol/code.h"

static const size_t digits[] = {6, 9, 12, 15};

proto_tier proto_code_tier(const char *code)
{
	size_t len, i;
	proto_tier tier = PROTO_TIER_NONE;

	if (!code)
		return PROTO_TIER_NONE;
	len = strnlen(code, PROTO_CODE_MAX + 1);
	for (i = 0; i < len; i++)
		if (code[i] < '0' || code[i] > '9')
			return PROTO_TIER_NONE;
	for (int t = 0; t < 4; t++)
		if (len == digits[t])
			tier = (proto_tier)t;
	if (tier == PROTO_TIER_NONE)
		return PROTO_TIER_NONE;
	/* Province, prefecture and county digits may not be "00"s as a whole;
	 * each level below the county is three digits and never "000". */
	if (strncmp(code, "000000", 6) == 0)
		return PROTO_TIER_NONE;
	for (int t = 1; t <= tier; t++)
		if (strncmp(code + digits[t - 1], "000", 3) == 0)
			return PROTO_TIER_NONE;
	return tier;
}

bool proto_code_valid(const char *code)
{
	return proto_code_tier(code) != PROTO_TIER_NONE;
}

size_t proto_tier_digits(proto_tier tier)
{
	if (tier < PROTO_TIER_COUNTY || tier > PROTO_TIER_GROUP)
		return 0;
	return digits[tier];
}

const char *proto_tier_name(proto_tier tier)
{
	static const char *names[] = {"county", "town", "village", "group"};
	if (tier < PROTO_TIER_COUNTY || tier > PROTO_TIER_GROUP)
		return "none";
	return names[tier];
}

const char *proto_tier_name_zh(proto_tier tier)
{
	static const char *names[] = {"县", "镇", "村", "组"};
	if (tier < PROTO_TIER_COUNTY || tier > PROTO_TIER_GROUP)
		return "无";
	return names[tier];
}

bool proto_code_ancestor(const char *code, proto_tier tier, char *out)
{
	proto_tier own = proto_code_tier(code);

	if (own == PROTO_TIER_NONE || tier < PROTO_TIER_COUNTY || tier > own)
		return false;
	memcpy(out, code, digits[tier]);
	out[digits[tier]] = '\0';
	return true;
}

bool proto_code_parent(const char *code, char *out)
{
	proto_tier own = proto_code_tier(code);

	if (own == PROTO_TIER_NONE || own == PROTO_TIER_COUNTY)
		return false;
	return proto_code_ancestor(code, own - 1, out);
}

bool proto_code_within(const char *code, const char *ancestor)
{
	proto_tier a = proto_code_tier(ancestor), c = proto_code_tier(code);

	if (a == PROTO_TIER_NONE || c == PROTO_TIER_NONE || a > c)
		return false;
	return strncmp(code, ancestor, digits[a]) == 0;
}
