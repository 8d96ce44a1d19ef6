/*
 * gql.h - the GraphQL operations the sync engine uses: request bodies
 * and what it needs from the answers.  Documents are wbstore's own; the
 * variables and selections follow what W&B servers accept.
 */
#ifndef WBS_SYNC_GQL_H
#define WBS_SYNC_GQL_H

#include <stdint.h>

#include "buf.h"

/* UpsertBucket variables; NULL leaves a field unchanged (sent as null). */
struct gql_upsert {
	const char		*id;		/* storage id, once known */
	const char		*name;		/* run id */
	const char		*project;
	const char		*entity;
	const char		*group;
	const char		*display_name;
	const char		*notes;
	const char		*commit;
	const char		*config;	/* JSON text, backend form */
	const char		*host;
	const char		*program;
	const char		*repo;
	const char		*job_type;
	const char *const	*tags;
	size_t			 ntags;
	int			 set_tags;	/* send tags (else null) */
};

/* A run as the server describes it. */
struct gql_bucket {
	char		id[256];
	char		name[256];
	char		display_name[512];
	char		entity[256];
	char		project[256];
	int64_t		history_line_count;
	int		inserted;
};

/* What RunResumeStatus tells about a run. */
struct gql_resume {
	int		 exists;
	struct gql_bucket b;
	int64_t		 events_line_count;
	int64_t		 log_line_count;
	int64_t		 last_step;	/* -1 if none */
	double		 runtime;	/* s */
	char		*summary;	/* JSON text or NULL (owned) */
	char		*config;	/* JSON text or NULL (owned) */
};

struct gql_file {
	char		*name;
	char		*url;		/* NULL: skip it */
};

struct gql_files {
	struct gql_file	*files;
	size_t		 n;
	char		**headers;	/* "Name: value" */
	size_t		 nheaders;
};

void	gql_upsert_body(struct buf *b, const struct gql_upsert *u);
int	gql_upsert_parse(const char *p, size_t n, struct gql_bucket *out,
	    char *err, size_t errlen);

void	gql_resume_body(struct buf *b, const char *project, const char *entity,
	    const char *name);
int	gql_resume_parse(const char *p, size_t n, struct gql_resume *out,
	    char *err, size_t errlen);
void	gql_resume_release(struct gql_resume *r);

void	gql_rewind_body(struct buf *b, const char *name, const char *entity,
	    const char *project, double step);
int	gql_rewind_parse(const char *p, size_t n, struct gql_bucket *out,
	    char *err, size_t errlen);

void	gql_files_body(struct buf *b, const char *entity, const char *project,
	    const char *run, const char *const *files, size_t n);
int	gql_files_parse(const char *p, size_t n, struct gql_files *out,
	    char *err, size_t errlen);
void	gql_files_release(struct gql_files *f);

void	gql_alert_body(struct buf *b, const char *entity, const char *project,
	    const char *run, const char *title, const char *text,
	    const char *level, int64_t wait_ms);
int	gql_alert_parse(const char *p, size_t n, char *err, size_t errlen);

/* The message of an error body (GraphQL errors, "error"), if any. */
void	gql_error_text(const char *p, size_t n, char *err, size_t errlen);

#endif /* WBS_SYNC_GQL_H */
