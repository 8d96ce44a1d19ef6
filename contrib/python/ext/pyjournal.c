/*
 * pyjournal.c - _wbstore.Journal: reading a run's journal.
 *
 * Records come out as plain dicts; item keys keep their WBS_SEP
 * separators and JSON values come out as _wbstore.Json strings, so that
 * the Python layer decides how to nest and parse them.
 */
#include "config.h"

#include "pywbs.h"

#include <string.h>

struct pyjournal {
	PyObject_HEAD
	struct wbs_journal	*j;
	struct wbs_iter		*it;
};

static const char *const rec_names[] = {
	[WBS_REC_RUN] = "run",
	[WBS_REC_HISTORY] = "history",
	[WBS_REC_CONFIG] = "config",
	[WBS_REC_SUMMARY] = "summary",
	[WBS_REC_METRIC] = "metric",
	[WBS_REC_STATS] = "stats",
	[WBS_REC_CONSOLE] = "console",
	[WBS_REC_FILE] = "file",
	[WBS_REC_SET] = "set",
	[WBS_REC_TAGS] = "tags",
	[WBS_REC_ALERT] = "alert",
	[WBS_REC_PREEMPTING] = "preempting",
	[WBS_REC_EXIT] = "exit",
	[WBS_REC_ENVIRONMENT] = "environment",
};

static int
journal_check(struct pyjournal *self)
{
	if (self->j != NULL)
		return 0;
	PyErr_SetString(PyExc_ValueError, "journal is closed");
	return -1;
}

static PyObject *
journal_fail(struct pyjournal *self, int rc)
{
	return pymod_raise(rc, wbs_journal_errmsg(self->j));
}

static int
journal_init(struct pyjournal *self, PyObject *args, PyObject *kw)
{
	static char	*kwlist[] = { "path", NULL };
	PyObject	*pathobj;
	char		 err[1024];
	const char	*path;
	int		 rc;

	if (self->j != NULL) {
		PyErr_SetString(PyExc_ValueError, "journal is already open");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&", kwlist,
	    PyUnicode_FSConverter, &pathobj))
		return -1;
	path = PyBytes_AS_STRING(pathobj);
	if (pymod_writer_has(path)) {
		Py_DECREF(pathobj);
		pymod_raise(WBS_ELOCKED, "this process has the run open for "
		    "writing; read it from another process (LMDB does not "
		    "allow one environment to be opened twice in a process)");
		return -1;
	}
	rc = wbs_journal_open(&self->j, path, WBS_JOURNAL_RDONLY, err,
	    sizeof(err));
	Py_DECREF(pathobj);
	if (rc != 0) {
		pymod_raise(rc, err);
		return -1;
	}
	return 0;
}

static void
journal_close_handle(struct pyjournal *self)
{
	wbs_iter_free(self->it);
	self->it = NULL;
	wbs_journal_close(self->j);
	self->j = NULL;
}

static void
journal_dealloc(struct pyjournal *self)
{
	journal_close_handle(self);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* d[key] = value (a new reference, stolen); -1 on error. */
static int
set_new(PyObject *d, const char *key, PyObject *value)
{
	int rc;

	if (value == NULL)
		return -1;
	rc = PyDict_SetItemString(d, key, value);
	Py_DECREF(value);
	return rc;
}

static PyObject *
str_or_none(const char *s)
{
	if (s == NULL)
		Py_RETURN_NONE;
	return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static PyObject *
str_list(const char *const *v, size_t n)
{
	PyObject *l = PyList_New((Py_ssize_t)n);

	for (size_t i = 0; l != NULL && i < n; i++) {
		PyObject *s = str_or_none(v[i]);

		if (s == NULL) {
			Py_CLEAR(l);
			break;
		}
		PyList_SET_ITEM(l, (Py_ssize_t)i, s);
	}
	return l;
}

/* A run info as a dict. */
static PyObject *
info_dict(const struct wbs_run_info *ri)
{
	PyObject *d = PyDict_New();

	if (d == NULL)
		return NULL;
	if (set_new(d, "id", str_or_none(ri->id)) ||
	    set_new(d, "entity", str_or_none(ri->entity)) ||
	    set_new(d, "project", str_or_none(ri->project)) ||
	    set_new(d, "name", str_or_none(ri->name)) ||
	    set_new(d, "notes", str_or_none(ri->notes)) ||
	    set_new(d, "group", str_or_none(ri->group)) ||
	    set_new(d, "job_type", str_or_none(ri->job_type)) ||
	    set_new(d, "host", str_or_none(ri->host)) ||
	    set_new(d, "program", str_or_none(ri->program)) ||
	    set_new(d, "git_remote", str_or_none(ri->git_remote)) ||
	    set_new(d, "git_commit", str_or_none(ri->git_commit)) ||
	    set_new(d, "tags", str_list(ri->tags, ri->ntags)) ||
	    set_new(d, "resume", PyLong_FromLong(ri->resume)) ||
	    set_new(d, "resumed", PyBool_FromLong(ri->resumed)) ||
	    set_new(d, "fork_run", str_or_none(ri->fork_run)) ||
	    set_new(d, "fork_step", PyLong_FromLongLong(ri->fork_step)) ||
	    set_new(d, "rewind_run", str_or_none(ri->rewind_run)) ||
	    set_new(d, "rewind_step", PyLong_FromLongLong(ri->rewind_step)) ||
	    set_new(d, "start_us", PyLong_FromLongLong(ri->start_us)) ||
	    set_new(d, "starting_step",
	    PyLong_FromLongLong(ri->starting_step)) ||
	    set_new(d, "pid", PyLong_FromLongLong(ri->pid)) ||
	    set_new(d, "runtime_base_us",
	    PyLong_FromLongLong(ri->runtime_base_us))) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

static PyObject *
journal_info(struct pyjournal *self, PyObject *noargs)
{
	const struct wbs_run_info	*ri;
	int				 rc;

	if (journal_check(self) != 0)
		return NULL;
	if ((rc = wbs_journal_info(self->j, &ri)) != 0)
		return journal_fail(self, rc);
	return info_dict(ri);
}

static PyObject *
journal_stat(struct pyjournal *self, PyObject *noargs)
{
	struct wbs_journal_stat	 st;
	PyObject		*d;
	int			 rc;

	if (journal_check(self) != 0)
		return NULL;
	if ((rc = wbs_journal_stat(self->j, &st)) != 0)
		return journal_fail(self, rc);
	if ((d = PyDict_New()) == NULL)
		return NULL;
	if (set_new(d, "format", PyLong_FromUnsignedLong(st.format)) ||
	    set_new(d, "state", PyLong_FromLong(st.state)) ||
	    set_new(d, "exit_code", PyLong_FromLong(st.exit_code)) ||
	    set_new(d, "records", PyLong_FromUnsignedLongLong(st.records)) ||
	    set_new(d, "last_seq", PyLong_FromUnsignedLongLong(st.last_seq)) ||
	    set_new(d, "last_us", PyLong_FromLongLong(st.last_us)) ||
	    set_new(d, "created_us", PyLong_FromLongLong(st.created_us)) ||
	    set_new(d, "last_step", PyLong_FromLongLong(st.last_step)) ||
	    set_new(d, "bytes", PyLong_FromUnsignedLongLong(st.bytes)) ||
	    set_new(d, "live", PyBool_FromLong(st.live))) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/* Items as a list of (key, value) tuples. */
static PyObject *
items_list(const struct wbs_item *items, size_t n)
{
	PyObject *l = PyList_New((Py_ssize_t)n);

	for (size_t i = 0; l != NULL && i < n; i++) {
		PyObject *t = Py_BuildValue("(NN)", str_or_none(items[i].key),
		    pyitems_value(&items[i].v));

		if (t == NULL) {
			Py_CLEAR(l);
			break;
		}
		PyList_SET_ITEM(l, (Py_ssize_t)i, t);
	}
	return l;
}

/* The fields of a record that only some types have. */
static int
record_body(PyObject *d, const struct wbs_record *r)
{
	const struct wbs_metric	*m = r->metric;
	const struct wbs_alert	*a = r->alert;

	if (r->run != NULL && set_new(d, "run", info_dict(r->run)))
		return -1;
	if (m != NULL && set_new(d, "metric", Py_BuildValue(
	    "{s:N,s:N,s:N,s:I,s:i,s:I}", "name", str_or_none(m->name),
	    "glob", str_or_none(m->glob), "step_metric",
	    str_or_none(m->step_metric), "summary", m->summary, "goal",
	    m->goal, "flags", m->flags)))
		return -1;
	if (r->file != NULL && set_new(d, "file", Py_BuildValue(
	    "{s:N,s:i,s:i}", "path", str_or_none(r->file->path), "policy",
	    r->file->policy, "type", r->file->type)))
		return -1;
	if (a != NULL && set_new(d, "alert", Py_BuildValue("{s:N,s:N,s:N,s:L}",
	    "title", str_or_none(a->title), "text", str_or_none(a->text),
	    "level", str_or_none(a->level), "wait_ms",
	    (long long)a->wait_ms)))
		return -1;
	switch (r->type) {
	case WBS_REC_CONSOLE:
		return set_new(d, "stream", PyLong_FromLong(r->stream)) ||
		    set_new(d, "text", PyUnicode_DecodeUTF8(r->text,
		    (Py_ssize_t)r->textlen, "replace"));
	case WBS_REC_SET:
		return set_new(d, "field", PyLong_FromLong(r->field)) ||
		    set_new(d, "text", str_or_none(r->text));
	case WBS_REC_EXIT:
		return set_new(d, "exit_code", PyLong_FromLong(r->exit_code)) ||
		    set_new(d, "runtime_ms", PyLong_FromLongLong(r->runtime_ms));
	case WBS_REC_HISTORY:
		return set_new(d, "step", PyLong_FromLongLong(r->step)) ||
		    set_new(d, "flags", PyLong_FromUnsignedLong(r->flags));
	}
	return 0;
}

/* A record as a dict. */
static PyObject *
record_dict(const struct wbs_record *r)
{
	const char	*name = r->type > 0 && (size_t)r->type <
			    sizeof(rec_names) / sizeof(rec_names[0]) &&
			    rec_names[r->type] != NULL ? rec_names[r->type] :
			    "unknown";
	PyObject	*d = PyDict_New();

	if (d == NULL)
		return NULL;
	if (set_new(d, "seq", PyLong_FromUnsignedLongLong(r->seq)) ||
	    set_new(d, "type", PyUnicode_FromString(name)) ||
	    set_new(d, "time_us", PyLong_FromLongLong(r->time_us)) ||
	    (r->nitems > 0 && set_new(d, "items",
	    items_list(r->items, r->nitems))) ||
	    (r->type == WBS_REC_HISTORY && r->nitems == 0 &&
	    set_new(d, "items", PyList_New(0))) ||
	    (r->nkeys > 0 && set_new(d, "keys", str_list(r->keys, r->nkeys))) ||
	    record_body(d, r) != 0) {
		Py_DECREF(d);
		return NULL;
	}
	return d;
}

/* seek(from_seq=1): restart reading at a sequence number. */
static PyObject *
journal_seek(struct pyjournal *self, PyObject *args)
{
	unsigned long long	from = 1;
	int			rc;

	if (!PyArg_ParseTuple(args, "|K", &from) || journal_check(self) != 0)
		return NULL;
	wbs_iter_free(self->it);
	self->it = NULL;
	if ((rc = wbs_iter_open(&self->it, self->j, from)) != 0)
		return journal_fail(self, rc);
	Py_RETURN_NONE;
}

/* next(): the next record as a dict, or None at the end. */
static PyObject *
journal_next(struct pyjournal *self, PyObject *noargs)
{
	const struct wbs_record	*r;
	int			 rc;

	if (journal_check(self) != 0)
		return NULL;
	if (self->it == NULL &&
	    (rc = wbs_iter_open(&self->it, self->j, 1)) != 0)
		return journal_fail(self, rc);
	if ((rc = wbs_iter_next(self->it, &r)) < 0)
		return journal_fail(self, rc);
	if (rc == 0)
		Py_RETURN_NONE;
	return record_dict(r);
}

static PyObject *
journal_verify(struct pyjournal *self, PyObject *noargs)
{
	uint64_t	n = 0;
	int		rc;

	if (journal_check(self) != 0)
		return NULL;
	if ((rc = wbs_journal_verify(self->j, &n)) != 0)
		return journal_fail(self, rc);
	return PyLong_FromUnsignedLongLong(n);
}

static PyObject *
journal_close(struct pyjournal *self, PyObject *noargs)
{
	journal_close_handle(self);
	Py_RETURN_NONE;
}

static PyObject *
journal_get_path(struct pyjournal *self, void *closure)
{
	if (journal_check(self) != 0)
		return NULL;
	return PyUnicode_DecodeFSDefault(wbs_journal_path(self->j));
}

static PyMethodDef journal_methods[] = {
	{ "info", (PyCFunction)journal_info, METH_NOARGS,
	    PyDoc_STR("info() -> the run's current attributes") },
	{ "stat", (PyCFunction)journal_stat, METH_NOARGS,
	    PyDoc_STR("stat() -> state, exit code, counts") },
	{ "seek", (PyCFunction)journal_seek, METH_VARARGS,
	    PyDoc_STR("seek(from_seq=1): read from that record on") },
	{ "next", (PyCFunction)journal_next, METH_NOARGS,
	    PyDoc_STR("next() -> the next record as a dict, or None") },
	{ "verify", (PyCFunction)journal_verify, METH_NOARGS,
	    PyDoc_STR("verify() -> number of records, all checked") },
	{ "close", (PyCFunction)journal_close, METH_NOARGS,
	    PyDoc_STR("close(): close the journal") },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef journal_getset[] = {
	{ "path", (getter)journal_get_path, NULL, "journal directory", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyTypeObject pyjournal_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_wbstore.Journal",
	.tp_basicsize = sizeof(struct pyjournal),
	.tp_dealloc = (destructor)journal_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = PyDoc_STR("Journal(path): open a journal (or the run "
	    "directory holding one) for reading"),
	.tp_methods = journal_methods,
	.tp_getset = journal_getset,
	.tp_init = (initproc)journal_init,
	.tp_new = PyType_GenericNew,
};
