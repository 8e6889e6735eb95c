/* Unit tests of protocol/registry.c: the CSV station registry, its error
 * messages (which must name the line) and its lookups.
 *
 * Usage: test-registry FIXTURES_DIR (the real data/ sits two levels up). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/registry.h"

#include "check.h"

static proto_registry *parse(const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return proto_registry_parse(text, strlen(text), err, errlen);
}

static void test_good(void)
{
	/* A BOM, CRLF line ends, comments, a header, blank lines, stations out
	 * of order (a group before its village) and no final newline. */
	static const char text[] =
		"\xEF\xBB\xBF# 镇安县 test registry\r\n"
		"code,name,lat,lon\r\n"
		"611025,镇安县,33.4234,109.1522\r\n"
		"\r\n"
		"611025100201001,一组,33.41,109.16\r\n"
		"611025100,永乐镇,-33.5,-109.25\r\n"
		"# a village without a position\r\n"
		"611025100201,城关村\r\n"
		"611025101,回龙镇,90,180";
	char err[256];
	proto_registry *reg = parse(text, err, sizeof err);
	const proto_station *st;

	if (!CHECK(reg != NULL)) {
		fprintf(stderr, "\t%s\n", err);
		return;
	}
	CHECK_EQ_INT(proto_registry_count(reg), 5);
	/* in code order, whatever the file order */
	CHECK_STR(proto_registry_at(reg, 0)->code, "611025");
	CHECK_STR(proto_registry_at(reg, 1)->code, "611025100");
	CHECK_STR(proto_registry_at(reg, 2)->code, "611025100201");
	CHECK_STR(proto_registry_at(reg, 3)->code, "611025100201001");
	CHECK_STR(proto_registry_at(reg, 4)->code, "611025101");
	CHECK(proto_registry_at(reg, 5) == NULL);

	st = proto_registry_find(reg, "611025");
	if (CHECK(st != NULL)) {
		CHECK_STR(st->name, "镇安县");
		CHECK(st->has_position);
		CHECK(st->lat > 33.4233 && st->lat < 33.4235);
		CHECK(st->lon > 109.1521 && st->lon < 109.1523);
	}
	st = proto_registry_find(reg, "611025100");
	if (CHECK(st != NULL)) {
		CHECK_STR(st->name, "永乐镇");
		CHECK(st->lat == -33.5 && st->lon == -109.25);
	}
	st = proto_registry_find(reg, "611025100201");
	if (CHECK(st != NULL)) {
		CHECK_STR(st->name, "城关村"); /* no '\r' left behind */
		CHECK(!st->has_position);
	}
	st = proto_registry_find(reg, "611025100201001");
	if (CHECK(st != NULL))
		CHECK_STR(st->name, "一组");
	st = proto_registry_find(reg, "611025101");
	if (CHECK(st != NULL))
		CHECK(st->lat == 90 && st->lon == 180);

	CHECK(proto_registry_find(reg, "611025102") == NULL);
	CHECK(proto_registry_find(reg, "61102510") == NULL);
	CHECK(proto_registry_find(reg, "") == NULL);
	CHECK(proto_registry_find(reg, "6110251002010011234") == NULL);
	proto_registry_destroy(reg);

	/* Empty text and comments only give an empty registry. */
	reg = parse("", err, sizeof err);
	if (CHECK(reg != NULL)) {
		CHECK_EQ_INT(proto_registry_count(reg), 0);
		CHECK(proto_registry_at(reg, 0) == NULL);
		CHECK(proto_registry_find(reg, "611025") == NULL);
	}
	proto_registry_destroy(reg);
	reg = parse("# nothing\n\ncode,name\n", err, sizeof err);
	CHECK(reg != NULL && proto_registry_count(reg) == 0);
	proto_registry_destroy(reg);

	/* NULL registries are empty, and destroy accepts NULL. */
	CHECK_EQ_INT(proto_registry_count(NULL), 0);
	CHECK(proto_registry_at(NULL, 0) == NULL);
	CHECK(proto_registry_find(NULL, "611025") == NULL);
	proto_registry_destroy(NULL);
}

/* Each bad text must fail with a message that starts with its line. */
static void test_errors(void)
{
	static const struct {
		const char *text, *prefix, *contains;
	} cases[] = {
		{"611025,镇安县\n6110251,x\n", "line 2: ", "'6110251' is not a station code"},
		{"611025,镇安县\n611025000,x\n", "line 2: ", "not a station code"},
		{"# c\n611025a,x\n", "line 2: ", "not a station code"},
		{"\xEF\xBB\xBF" "611025,a\n\xEF\xBB\xBF" "611025100,b\n", "line 2: ",
			"not a station code"}, /* a BOM only at the very start */
		{"611025\n", "line 1: ", "expected code,name"},
		{"611025,a,33.4\n", "line 1: ", "expected code,name"},
		{"611025,a,33.4,109.1,x\n", "line 1: ", "expected code,name"},
		{"611025,a,1,2,3,4,5,6\n", "line 1: ", "too many fields"},
		{"611025,,33.4,109.1\n", "line 1: ", "name missing"},
		{"611025,\xC3\x28\n", "line 1: ", "not UTF-8"},
		{"611025,a\n611025100,b,91,109\n", "line 2: ", "bad latitude or longitude"},
		{"611025,a\n611025100,b,-90.5,109\n", "line 2: ", "bad latitude"},
		{"611025,a\n611025100,b,33,180.1\n", "line 2: ", "bad latitude"},
		{"611025,a\n611025100,b,north,109\n", "line 2: ", "bad latitude"},
		{"611025,a\n611025100,b,33,\n", "line 2: ", "bad latitude"},
		{"611025,a\n611025100,b,33.4x,109\n", "line 2: ", "bad latitude"},
		{"611025,a\n611025100,b,nan,109\n", "line 2: ", "bad latitude"},
		{"611025,a\n611025100,b,33,inf\n", "line 2: ", "bad latitude"},
		/* found after sorting, but still named by line */
		{"611025,a\n611025100,b\n# c\n611025100,c\n", "line 4: ",
			"station 611025100 is listed twice (also on line 2)"},
		{"611025100,b\n611025,a\n611025100,c\n", "line 3: ", "listed twice"},
		{"611025,a\n611025100201,b\n", "line 2: ",
			"station 611025100201 has no parent 611025100"},
		{"611025,a\n611025100,b\n\n611025100201001,c\n", "line 4: ",
			"has no parent 611025100201"},
		{"611025100,b\n", "line 1: ", "has no parent 611025"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		proto_registry *reg = parse(cases[i].text, err, sizeof err);

		check_case = cases[i].contains;
		CHECK(reg == NULL);
		proto_registry_destroy(reg);
		if (!CHECK(strncmp(err, cases[i].prefix, strlen(cases[i].prefix)) == 0 &&
			   strstr(err, cases[i].contains) != NULL))
			fprintf(stderr, "\tgot \"%s\"\n", err);
	}
	check_case = NULL;

	/* A name of 95 bytes fits, 96 does not. */
	char text[256];
	snprintf(text, sizeof text, "611025,%095d\n", 0);
	proto_registry *reg = parse(text, err, sizeof err);
	CHECK(reg != NULL);
	proto_registry_destroy(reg);
	snprintf(text, sizeof text, "611025,%096d\n", 0);
	CHECK(parse(text, err, sizeof err) == NULL);
	CHECK(strstr(err, "line 1: station name missing, too long") != NULL);

	/* A NUL byte inside the given length. */
	CHECK(proto_registry_parse("611025,a\0b\n", 11, err, sizeof err) == NULL);
	CHECK(strstr(err, "NUL") != NULL);

	/* A short error buffer is truncated, not overrun. */
	char small[8];
	CHECK(parse("611025\n", small, sizeof small) == NULL);
	CHECK_STR(small, "line 1:");
}

static void test_load(const char *fixtures)
{
	char path[] = "/tmp/minqing-registry-XXXXXX", err[512], want[600];
	char data[4096];
	proto_registry *reg;
	FILE *f;
	int fd = mkstemp(path);

	if (!CHECK(fd >= 0))
		return;
	f = fdopen(fd, "w");
	if (!CHECK(f != NULL)) {
		close(fd);
		unlink(path);
		return;
	}
	fputs("code,name\n611025,镇安县\n611025100,永乐镇\n611025100,永乐镇\n", f);
	fclose(f);
	reg = proto_registry_load(path, err, sizeof err);
	CHECK(reg == NULL);
	snprintf(want, sizeof want, "%s:line 4: station 611025100 is listed twice", path);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	proto_registry_destroy(reg);

	f = fopen(path, "w");
	if (CHECK(f != NULL)) {
		fputs("code,name\n611025,镇安县\n611025100,永乐镇\n", f);
		fclose(f);
	}
	reg = proto_registry_load(path, err, sizeof err);
	if (CHECK(reg != NULL))
		CHECK_EQ_INT(proto_registry_count(reg), 2);
	proto_registry_destroy(reg);
	unlink(path);

	reg = proto_registry_load(path, err, sizeof err);
	CHECK(reg == NULL);
	CHECK(strncmp(err, path, strlen(path)) == 0 && strstr(err, ": No such file"));

	/* The real registry of Zhen'an County: 1,892 stations (data/README.md),
	 * every one with a position and a registered parent. */
	snprintf(data, sizeof data, "%s/../../data/zhenan-stations.csv", fixtures);
	reg = proto_registry_load(data, err, sizeof err);
	if (!CHECK(reg != NULL)) {
		fprintf(stderr, "\t%s\n", err);
		return;
	}
	CHECK_EQ_INT(proto_registry_count(reg), 1892);
	size_t tiers[4] = {0}, unplaced = 0, lost = 0, misplaced = 0;
	for (size_t i = 0; i < proto_registry_count(reg); i++) {
		const proto_station *st = proto_registry_at(reg, i);
		proto_tier t = proto_code_tier(st->code);
		if (t != PROTO_TIER_NONE)
			tiers[t]++;
		unplaced += !st->has_position;
		lost += proto_registry_find(reg, st->code) != st;
		misplaced += proto_registry_index(reg, proto_registry_find(reg, st->code)) != i;
	}
	CHECK_EQ_INT(lost, 0);
	CHECK_EQ_INT(misplaced, 0);
	CHECK_EQ_INT(tiers[PROTO_TIER_COUNTY], 1);
	CHECK_EQ_INT(tiers[PROTO_TIER_TOWN], 19);
	CHECK_EQ_INT(tiers[PROTO_TIER_VILLAGE], 208);
	CHECK_EQ_INT(tiers[PROTO_TIER_GROUP], 1664);
	CHECK_EQ_INT(unplaced, 0);
	const proto_station *county = proto_registry_find(reg, "611025");
	CHECK_STR(county ? county->name : NULL, "镇安县");
	proto_registry_destroy(reg);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
		return 2;
	}
	test_good();
	test_errors();
	test_load(argv[1]);
	return check_finish();
}
