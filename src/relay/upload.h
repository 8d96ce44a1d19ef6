/*
 * upload.h - PUT of run files and artifact files (relay-internal).
 */
#ifndef WBS_UPLOAD_H
#define WBS_UPLOAD_H

#include "relay-int.h"

struct upload;

struct upload	*upload_begin(struct relay *r, const char *entity,
		    const char *project, const char *run, const char *token,
		    const char *path, char *err, size_t errlen, int *status);
int		 upload_write(struct upload *u, const char *data, size_t n,
		    char *err, size_t errlen);
void		 upload_end(struct relay *r, struct upload *u,
		    struct reply *rp);
void		 upload_abort(struct upload *u);
int		 upload_artifact_new(struct relay *r, const char *digest,
		    char token[33]);
int		 upload_artifact_token(struct relay *r, const char *id,
		    char token[33]);
void		 upload_artifact_digest(struct relay *r, const char *token,
		    struct buf *out);

#endif /* WBS_UPLOAD_H */
