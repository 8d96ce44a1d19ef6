/*
 * error.c - error codes, per-handle messages and the log callback.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wbs-int.h"

static wbs_log_fn	*log_fn;
static void		*log_arg;

/* Name and describe an error code. */
const char *
wbs_strerror(int err)
{
	switch (err) {
	case WBS_OK:		return "WBS_OK: success";
	case WBS_ENOMEM:	return "WBS_ENOMEM: out of memory";
	case WBS_EINVAL:	return "WBS_EINVAL: invalid argument";
	case WBS_EIO:		return "WBS_EIO: input/output error";
	case WBS_ENOSPC:	return "WBS_ENOSPC: no space left on device";
	case WBS_ENOTFOUND:	return "WBS_ENOTFOUND: not found";
	case WBS_EEXIST:	return "WBS_EEXIST: run already exists";
	case WBS_EVERSION:	return "WBS_EVERSION: journal format too new";
	case WBS_ECORRUPT:	return "WBS_ECORRUPT: journal corrupted";
	case WBS_ETOOBIG:	return "WBS_ETOOBIG: value or row too large";
	case WBS_ESTEP:		return "WBS_ESTEP: step lower than current step";
	case WBS_EFINISHED:	return "WBS_EFINISHED: run already finished";
	case WBS_EUTF8:		return "WBS_EUTF8: invalid UTF-8";
	case WBS_ERDONLY:	return "WBS_ERDONLY: journal opened read-only";
	case WBS_ELOCKED:	return "WBS_ELOCKED: locked by another process";
	default:		return "unknown wbstore error";
	}
}

/* Library version string. */
const char *
wbs_version(void)
{
	return WBS_VERSION_STRING;
}

/* Set the process-wide log sink. */
void
wbs_set_log(wbs_log_fn *fn, void *arg)
{
	log_fn = fn;
	log_arg = arg;
}

/* Send a message to the log sink, if any. */
void
wbs_log(int prio, const char *fmt, ...)
{
	char	msg[WBS_ERRMSG];
	va_list	ap;

	if (log_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(prio, msg, log_arg);
}

/* Record an error message and return code. */
int
wbs_err(struct wbs_errbuf *eb, int code, const char *fmt, ...)
{
	va_list	ap;

	if (eb != NULL) {
		va_start(ap, fmt);
		vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Map an LMDB (or errno) result to an error code with a message. */
int
wbs_err_mdb(struct wbs_errbuf *eb, int rc, const char *what)
{
	int	code;

	switch (rc) {
	case ENOMEM:
		code = WBS_ENOMEM;
		break;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		code = WBS_ENOSPC;
		break;
	case MDB_NOTFOUND:
		code = WBS_ENOTFOUND;
		break;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_BAD_TXN:
	case MDB_BAD_VALSIZE:
	case MDB_BAD_DBI:
	case MDB_INCOMPATIBLE:
		code = WBS_ECORRUPT;
		break;
	case MDB_VERSION_MISMATCH:
		code = WBS_EVERSION;
		break;
	case EACCES:
	case EROFS:
		code = WBS_ERDONLY;
		break;
	default:
		code = WBS_EIO;
		break;
	}
	return wbs_err(eb, code, "%s: %s", what, mdb_strerror(rc));
}
