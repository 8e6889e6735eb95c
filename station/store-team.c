/* The station's service team: the members the hub says this station may
 * assign (member messages, PROTOCOL.md §5.7). The hub resends until
 * receipted and a copy may come late, so each member keeps the message with
 * the highest id, and one who left stays as gone: an older copy cannot bring
 * them back. No row at all means no hub has sent a team yet. */
#include <string.h>

#include "protocol/clock.h"
#include "protocol/db.h"
#include "protocol/log.h"
#include "station/store-int.h"

proto_err station_store_member(station_store *s, const proto_msg *m, bool *newer)
{
	const proto_member *mb = &m->u.member;
	sqlite3_stmt *st;
	proto_err err = PROTO_OK;

	*newer = false;
	if (m->type != PROTO_MSG_MEMBER || strcmp(m->station, s->code) != 0)
		return PROTO_ERR_WRONG_STATION;
	st = proto_db_prepare(s->db,
		"INSERT INTO team(member, name, unit, gone, msg_id, received)"
		" VALUES(?, ?, ?, ?, ?, ?)"
		" ON CONFLICT(member) DO UPDATE SET name = excluded.name,"
		" unit = excluded.unit, gone = excluded.gone, msg_id = excluded.msg_id,"
		" received = excluded.received WHERE excluded.msg_id > team.msg_id");
	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, mb->member, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mb->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, mb->unit, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, mb->gone);
	sqlite3_bind_int64(st, 5, m->id);
	sqlite3_bind_int64(st, 6, proto_now_ms());
	err = proto_db_run(st);
	*newer = !err && sqlite3_changes(s->db) > 0;
	return err;
}

proto_err station_store_team(station_store *s, station_member_fn fn, void *ud)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"SELECT member, name, unit FROM team WHERE gone = 0 ORDER BY unit, name, member");
	int rc;

	if (!st)
		return PROTO_ERR_IO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		station_member mb = {
			.member = (const char *)sqlite3_column_text(st, 0),
			.name = (const char *)sqlite3_column_text(st, 1),
			.unit = (const char *)sqlite3_column_text(st, 2),
		};
		if (fn(ud, &mb))
			break;
	}
	return proto_db_finish(st, rc);
}

proto_err station_store_team_check(station_store *s, const char *member,
	station_team_answer *out)
{
	sqlite3_stmt *st = proto_db_prepare(s->db,
		"SELECT (SELECT count(*) FROM team),"
		" (SELECT count(*) FROM team WHERE member = ? AND gone = 0)");
	proto_err err = PROTO_ERR_IO;

	*out = STATION_TEAM_NONE;
	if (!st)
		return PROTO_ERR_IO;
	sqlite3_bind_text(st, 1, member ? member : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) == 0)
			*out = STATION_TEAM_NONE;
		else
			*out = sqlite3_column_int64(st, 1) ? STATION_TEAM_LISTED :
							     STATION_TEAM_NOT_LISTED;
		err = PROTO_OK;
	} else {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
	}
	sqlite3_finalize(st);
	return err;
}
