/*
 * query_sql.h - pkfind -E -T sql: the index's reading of an expression
 * (query.h) as a condition on pk-sessions(5) columns, for the fleet
 * catalog.
 */
#ifndef PK_QUERY_SQL_H
#define PK_QUERY_SQL_H

#include <stdio.h>

#include "query.h"

/*
 * query_sql: the same reading as a ClickHouse condition on the columns of
 * the sessions table (pk-sessions(5)): true of every session that holds
 * a packet the expression could match (a superset, as query_eval's).
 */
void query_sql(const struct query *q, FILE *out);

#endif
