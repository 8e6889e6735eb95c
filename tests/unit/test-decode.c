/* Unit tests of decoding (protocol/decode.c, decode-field.c): the payload as
 * a whole and the envelope every message has. Payloads written by hand rather
 * than by the encoder (layout, escapes, numbers, the id kept for a rejection,
 * the size limit), and every malformed payload kept in fixtures/bad/, each
 * refused with the right code and field, its message cleared, and every file
 * there listed so that none is skipped.
 *
 * Usage: test-decode FIXTURES_DIR */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/message.h"

#include "check.h"
#include "codec-check.h"

/* Reads a whole file into an exactly sized buffer with no NUL after it, so
 * that AddressSanitizer catches a decoder reading past the payload. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto fail;
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto fail;
	fclose(f);
	*len = (size_t)size;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* Payloads written by hand rather than by the encoder. */
static void test_decode_by_hand(void)
{
	char field[PROTO_FIELD_MAX];
	proto_msg m;

	/* Whitespace, a BOM-less pretty layout, null optionals, unknown keys,
	 * a timestamp without milliseconds and escapes of every kind. */
	CHECK_EQ_INT(decode_str("\n{ \"v\": 1, \"type\": \"report\",\n"
		"  \"station\": \"" GROUP "\", \"id\": 1,\n"
		"  \"ts\": \"2026-11-23T09:00:00Z\", \"colour\": \"blue\",\n"
		"  \"category\": \"proxy\", \"title\": \"\\u505c\\u6c34 \\ud83d\\ude00\",\n"
		"  \"text\": \"a\\nb\\tc\\\\ud800\", \"reporter\": null, \"phone\": null,\n"
		"  \"people\": null, \"future\": {\"x\": [1, 2]} }\r\n", &m, field),
		PROTO_OK);
	CHECK_STR(field, "");
	CHECK_EQ_INT(m.ts, 1795424400000);
	CHECK_EQ_INT(m.u.report.category, PROTO_CAT_PROXY);
	CHECK_STR(m.u.report.title, "停水 😀");
	CHECK_STR(m.u.report.text, "a\nb\tc\\ud800");
	CHECK_STR(m.u.report.reporter_name, NULL);
	CHECK_EQ_INT(m.u.report.people, 0);
	proto_msg_clear(&m);

	/* Upper-case escapes and a pair split only by the escape syntax. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"status\",\"station\":\"611025\","
		"\"state\":\"online\",\"session\":1,\"agent\":\"\\u0041\\uD83D\\uDE00\"}",
		&m, field), PROTO_OK);
	CHECK_STR(m.u.status.agent, "A😀");
	proto_msg_clear(&m);

	/* 1e2 is a whole number, whatever it looks like. */
	CHECK_EQ_INT(decode_str("{\"v\":1.0,\"type\":\"status\",\"station\":\"611025\","
		"\"state\":\"online\",\"session\":1e2}", &m, field), PROTO_OK);
	CHECK_EQ_INT(m.u.status.session, 100);
	CHECK_EQ_INT(m.u.status.outbox, -1);
	proto_msg_clear(&m);

	/* On any fault after the JSON parsed, a valid id is kept for the
	 * rejected receipt's ref; without one, or unparsed, it is 0. */
	CHECK_EQ_INT(decode_str("{\"v\":2,\"id\":42}", &m, field),
		PROTO_ERR_BAD_VERSION);
	CHECK_EQ_INT(m.id, 42);
	CHECK(is_cleared(&m));
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"report\",\"station\":\"" GROUP
		"\",\"id\":43,\"ts\":\"now\"}", &m, field), PROTO_ERR_BAD_VALUE);
	CHECK_STR(field, "ts");
	CHECK_EQ_INT(m.id, 43);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"id\":0}", &m, field), PROTO_ERR_MISSING_FIELD);
	CHECK_EQ_INT(m.id, 0);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"id\":\"44\"}", &m, field),
		PROTO_ERR_MISSING_FIELD);
	CHECK_STR(field, "type");
	CHECK_EQ_INT(m.id, 0);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"id\":45", &m, field), PROTO_ERR_BAD_JSON);
	CHECK_EQ_INT(m.id, 0);

	/* The field buffer is optional. */
	CHECK_EQ_INT(proto_msg_decode("{}", 2, &m, NULL), PROTO_ERR_MISSING_FIELD);
	CHECK_EQ_INT(proto_msg_decode(NULL, 0, &m, field), PROTO_ERR_BAD_JSON);
	CHECK(is_cleared(&m));

	/* A newer hub's unknown error code is still a rejection. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"ref\":3,\"status\":\"rejected\",\"error\":\"from_the_future\"}", &m,
		field), PROTO_OK);
	CHECK_EQ_INT(m.u.receipt.status, PROTO_RECEIPT_REJECTED);
	CHECK_EQ_INT(m.u.receipt.error, PROTO_ERR_BAD_VALUE);
	proto_msg_clear(&m);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"ref\":3,\"status\":\"rejected\",\"error\":\"inval\"}", &m,
		field), PROTO_OK);
	CHECK_EQ_INT(m.u.receipt.error, PROTO_ERR_INVAL);
	proto_msg_clear(&m);
	/* "ok" is no reason for a rejection: it must not read as success. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"ref\":3,\"status\":\"rejected\",\"error\":\"ok\"}", &m,
		field), PROTO_OK);
	CHECK_EQ_INT(m.u.receipt.error, PROTO_ERR_BAD_VALUE);
	proto_msg_clear(&m);

	/* A field name of 31 code points is allowed but not 31 bytes: it is
	 * cut at a character boundary and stays valid UTF-8. */
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"status\":\"rejected\",\"error\":\"bad_type\",\"field\":"
		"\"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一\"}",
		&m, field), PROTO_OK);
	CHECK_STR(m.u.receipt.field, "一二三四五六七八九十");
	CHECK(proto_utf8_valid(m.u.receipt.field, strlen(m.u.receipt.field)));
	proto_msg_clear(&m);
	CHECK_EQ_INT(decode_str("{\"v\":1,\"type\":\"receipt\",\"station\":\"" GROUP "\","
		"\"status\":\"rejected\",\"error\":\"bad_type\",\"field\":"
		"\"abcdefghijklmnopqrstuvwxyz_____\"}", &m, field), PROTO_OK);
	CHECK_STR(m.u.receipt.field, "abcdefghijklmnopqrstuvwxyz_____");
	proto_msg_clear(&m);

	/* Exactly at the payload limit is not too large: pad with spaces. */
	{
		const char *base = "{\"v\":1,\"type\":\"hub\",\"station\":\"611025\","
			"\"state\":\"online\",\"session\":1}";
		size_t n = strlen(base);
		char *big = malloc(PROTO_PAYLOAD_MAX + 1);
		if (CHECK(big != NULL)) {
			memcpy(big, base, n);
			memset(big + n, ' ', PROTO_PAYLOAD_MAX + 1 - n);
			CHECK_EQ_INT(proto_msg_decode(big, PROTO_PAYLOAD_MAX, &m, field),
				PROTO_OK);
			proto_msg_clear(&m);
			CHECK_EQ_INT(proto_msg_decode(big, PROTO_PAYLOAD_MAX + 1, &m,
				field), PROTO_ERR_TOO_LARGE);
			CHECK_STR(field, "");
		}
		free(big);
	}
}

/* ------------------------------------------------- malformed payloads */

/* One row per file of fixtures/bad/: the file is named after the error code
 * it must produce, field is the name the decoder must blame, and id is the
 * message id it must still report (0 when the payload has no usable one). */
static const struct {
	const char *file;
	proto_err err;
	const char *field;
	int64_t id;
} bad[] = {
	{"bad_json-not-json", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-array", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-empty", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-whitespace", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-string", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-null", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-truncated", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-trailing-comma", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-single-quotes", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-trailing-garbage", PROTO_ERR_BAD_JSON, "", 0},
	{"bad_json-two-objects", PROTO_ERR_BAD_JSON, "", 0},

	{"missing_field-v", PROTO_ERR_MISSING_FIELD, "v", 7},
	{"missing_field-member-member", PROTO_ERR_MISSING_FIELD, "member", 9},
	{"missing_field-member-name", PROTO_ERR_MISSING_FIELD, "name", 9},
	{"missing_field-member-msg-id", PROTO_ERR_MISSING_FIELD, "id", 0},
	{"bad_value-member-unit-outside", PROTO_ERR_BAD_VALUE, "unit", 9},
	{"bad_type-member-gone-string", PROTO_ERR_BAD_TYPE, "gone", 9},
	{"too_large-member-name", PROTO_ERR_TOO_LARGE, "name", 9},
	{"too_large-member-id", PROTO_ERR_TOO_LARGE, "member", 9},
	{"missing_field-type", PROTO_ERR_MISSING_FIELD, "type", 7},
	{"missing_field-station", PROTO_ERR_MISSING_FIELD, "station", 7},
	{"missing_field-id", PROTO_ERR_MISSING_FIELD, "id", 0},
	{"missing_field-ts", PROTO_ERR_MISSING_FIELD, "ts", 7},
	{"missing_field-colour", PROTO_ERR_MISSING_FIELD, "colour", 7},
	{"missing_field-category", PROTO_ERR_MISSING_FIELD, "category", 7},
	{"missing_field-title", PROTO_ERR_MISSING_FIELD, "title", 7},
	{"missing_field-title-null", PROTO_ERR_MISSING_FIELD, "title", 7},
	{"missing_field-text", PROTO_ERR_MISSING_FIELD, "text", 7},
	{"missing_field-action-item", PROTO_ERR_MISSING_FIELD, "item", 8},
	{"missing_field-action-action", PROTO_ERR_MISSING_FIELD, "action", 8},
	{"missing_field-status-state", PROTO_ERR_MISSING_FIELD, "state", 0},
	{"missing_field-status-session", PROTO_ERR_MISSING_FIELD, "session", 0},
	{"missing_field-receipt-status", PROTO_ERR_MISSING_FIELD, "status", 0},
	{"missing_field-receipt-error", PROTO_ERR_MISSING_FIELD, "error", 0},
	{"missing_field-item-origin", PROTO_ERR_MISSING_FIELD, "origin", 3},
	{"missing_field-item-state", PROTO_ERR_MISSING_FIELD, "state", 3},

	{"bad_type-people-string", PROTO_ERR_BAD_TYPE, "people", 7},
	{"bad_type-people-bool", PROTO_ERR_BAD_TYPE, "people", 7},
	{"bad_type-title-number", PROTO_ERR_BAD_TYPE, "title", 7},
	{"bad_type-text-object", PROTO_ERR_BAD_TYPE, "text", 7},
	{"bad_type-reporter-array", PROTO_ERR_BAD_TYPE, "reporter", 7},
	{"bad_type-v-string", PROTO_ERR_BAD_TYPE, "v", 7},
	{"bad_type-type-number", PROTO_ERR_BAD_TYPE, "type", 7},
	{"bad_type-station-number", PROTO_ERR_BAD_TYPE, "station", 7},
	{"bad_type-id-string", PROTO_ERR_BAD_TYPE, "id", 0},
	{"bad_type-ts-number", PROTO_ERR_BAD_TYPE, "ts", 7},
	{"bad_type-colour-number", PROTO_ERR_BAD_TYPE, "colour", 7},
	{"bad_type-status-session-string", PROTO_ERR_BAD_TYPE, "session", 0},
	{"bad_type-receipt-ref-string", PROTO_ERR_BAD_TYPE, "ref", 0},
	{"bad_type-receipt-snapshot-string", PROTO_ERR_BAD_TYPE, "snapshot", 0},
	{"bad_value-receipt-snapshot-state", PROTO_ERR_BAD_VALUE, "snapshot.state", 0},

	{"bad_value-colour-unknown", PROTO_ERR_BAD_VALUE, "colour", 7},
	{"bad_value-colour-chinese", PROTO_ERR_BAD_VALUE, "colour", 7},
	{"bad_value-category-unknown", PROTO_ERR_BAD_VALUE, "category", 7},
	{"bad_value-station-code", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-station-zero-level", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-station-empty", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-station-too-long", PROTO_ERR_BAD_VALUE, "station", 7},
	{"bad_value-phone-letters", PROTO_ERR_BAD_VALUE, "phone", 7},
	{"bad_value-phone-short", PROTO_ERR_BAD_VALUE, "phone", 7},
	{"bad_value-people-negative", PROTO_ERR_BAD_VALUE, "people", 7},
	{"bad_value-people-fraction", PROTO_ERR_BAD_VALUE, "people", 7},
	{"bad_value-people-too-many", PROTO_ERR_BAD_VALUE, "people", 7},
	{"bad_value-id-fraction", PROTO_ERR_BAD_VALUE, "id", 0},
	{"bad_value-id-zero", PROTO_ERR_BAD_VALUE, "id", 0},
	{"bad_value-id-unsafe", PROTO_ERR_BAD_VALUE, "id", 0},
	{"bad_value-ts-format", PROTO_ERR_BAD_VALUE, "ts", 7},
	{"bad_value-ts-offset", PROTO_ERR_BAD_VALUE, "ts", 7},
	{"bad_value-ts-no-leap-day", PROTO_ERR_BAD_VALUE, "ts", 7},
	{"bad_value-title-empty", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-title-control", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-title-newline", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-title-delete", PROTO_ERR_BAD_VALUE, "title", 7},
	{"bad_value-text-empty", PROTO_ERR_BAD_VALUE, "text", 7},
	{"bad_value-text-control", PROTO_ERR_BAD_VALUE, "text", 7},
	{"bad_value-action-item-leading-zero", PROTO_ERR_BAD_VALUE, "item", 8},
	{"bad_value-action-item-no-dash", PROTO_ERR_BAD_VALUE, "item", 8},
	{"bad_value-action-name", PROTO_ERR_BAD_VALUE, "action", 8},
	{"bad_value-action-until", PROTO_ERR_BAD_VALUE, "until", 8},
	{"bad_value-status-state", PROTO_ERR_BAD_VALUE, "state", 0},
	{"bad_value-status-outbox-negative", PROTO_ERR_BAD_VALUE, "outbox", 0},
	{"bad_value-receipt-status", PROTO_ERR_BAD_VALUE, "status", 0},
	{"bad_value-receipt-ref-zero", PROTO_ERR_BAD_VALUE, "ref", 0},
	{"bad_value-item-origin", PROTO_ERR_BAD_VALUE, "origin", 3},
	{"bad_value-hub-station-town", PROTO_ERR_BAD_VALUE, "station", 0},

	{"too_large-payload", PROTO_ERR_TOO_LARGE, "", 0},
	{"too_large-title", PROTO_ERR_TOO_LARGE, "title", 7},
	{"too_large-text", PROTO_ERR_TOO_LARGE, "text", 7},
	{"too_large-reporter", PROTO_ERR_TOO_LARGE, "reporter", 7},

	/* Encoding faults are in the payload as a whole: no field. */
	{"bad_utf8-raw-byte", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-overlong", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-overlong-3", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-truncated", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-surrogate-raw", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-above-max", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-nul-raw", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-surrogate-escape", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-low-surrogate-escape", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-unpaired-high-escape", PROTO_ERR_BAD_UTF8, "", 0},
	{"bad_utf8-nul-escape", PROTO_ERR_BAD_UTF8, "", 0},

	{"bad_version-v2", PROTO_ERR_BAD_VERSION, "v", 7},
	{"bad_version-v0", PROTO_ERR_BAD_VERSION, "v", 7},
	{"bad_version-v-negative", PROTO_ERR_BAD_VERSION, "v", 7},
	{"bad_version-v-fraction", PROTO_ERR_BAD_VERSION, "v", 7},

	{"unknown_type-bogus", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-empty", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-uppercase", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-chinese", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
	{"unknown_type-long", PROTO_ERR_UNKNOWN_TYPE, "type", 7},
};

#define NBAD (sizeof bad / sizeof bad[0])

static void test_bad_fixtures(const char *dir)
{
	char path[4096], field[PROTO_FIELD_MAX];

	for (size_t i = 0; i < NBAD; i++) {
		const char *name = proto_err_name(bad[i].err);
		proto_msg m;
		size_t len = 0;
		char *payload;

		check_case = bad[i].file;
		/* The file name states the code, so a reader of the directory
		 * alone knows what each payload is for. */
		CHECK(strncmp(bad[i].file, name, strlen(name)) == 0 &&
		      bad[i].file[strlen(name)] == '-');
		snprintf(path, sizeof path, "%s/bad/%s.json", dir, bad[i].file);
		payload = read_file(path, &len);
		if (!CHECK(payload != NULL))
			continue;
		memset(&m, 0xA5, sizeof m); /* must come back cleared */
		memset(field, 'x', sizeof field);
		CHECK_STR(proto_err_name(proto_msg_decode(payload, len, &m, field)), name);
		CHECK_STR(field, bad[i].field);
		CHECK(is_cleared(&m));
		/* The id survives when the payload is an object with a valid
		 * one, so that the hub can quote it in the rejection. */
		CHECK_EQ_INT(m.id, bad[i].id);
		proto_msg_clear(&m);
		free(payload);
	}
	check_case = NULL;
}

/* Every fixture file has a row, so none is silently skipped. */
static void test_bad_fixtures_listed(const char *dir)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int files = 0;

	snprintf(path, sizeof path, "%s/bad", dir);
	d = opendir(path);
	if (!CHECK(d != NULL))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		bool listed = false;

		if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		files++;
		for (size_t i = 0; i < NBAD && !listed; i++)
			listed = strlen(bad[i].file) == n - 5 &&
				 strncmp(bad[i].file, e->d_name, n - 5) == 0;
		check_case = e->d_name;
		CHECK(listed);
	}
	check_case = NULL;
	closedir(d);
	CHECK_EQ_INT(files, NBAD);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
		return 2;
	}
	test_decode_by_hand();
	test_bad_fixtures(argv[1]);
	test_bad_fixtures_listed(argv[1]);
	return check_finish();
}
