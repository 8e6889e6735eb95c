/* Station codes: China's statistical division codes, where the code is the
 * hierarchy. County = 6 digits, town = 9, village = 12, group = 15; the parent
 * of a station is a prefix of its code and its tier is its length. */
#ifndef PROTO_CODE_H
#define PROTO_CODE_H

#include <stdbool.h>
#include <stddef.h>

#define PROTO_CODE_MAX 15 /* digits in the longest (group) code */

typedef enum proto_tier {
	PROTO_TIER_NONE = -1,
	PROTO_TIER_COUNTY = 0, /* 县 */
	PROTO_TIER_TOWN,       /* 镇 */
	PROTO_TIER_VILLAGE,    /* 村 */
	PROTO_TIER_GROUP,      /* 组 */
} proto_tier;

/* Tier of a code, or PROTO_TIER_NONE when it is not a valid station code:
 * all ASCII digits, length 6/9/12/15, and no all-zero level below the county. */
proto_tier proto_code_tier(const char *code);

/* True when code is a valid station code. */
bool proto_code_valid(const char *code);

/* Number of digits of a code at a tier (6, 9, 12, 15); 0 for NONE. */
size_t proto_tier_digits(proto_tier tier);

/* English key of a tier ("county", ...) and its Chinese name ("县", ...). */
const char *proto_tier_name(proto_tier tier);
const char *proto_tier_name_zh(proto_tier tier);

/* Writes the ancestor of code at tier into out (PROTO_CODE_MAX + 1 bytes).
 * Returns false when code is invalid or tier is below code's own tier.
 * The ancestor at the code's own tier is the code itself. */
bool proto_code_ancestor(const char *code, proto_tier tier, char *out);

/* Writes the parent of code into out; false for a county or invalid code. */
bool proto_code_parent(const char *code, char *out);

/* True when ancestor is code itself or one of its ancestors. */
bool proto_code_within(const char *code, const char *ancestor);

#endif
