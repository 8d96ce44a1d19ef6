/*
 * pyrun.c - _wbstore.Run: a run open for writing (wbs_run_*).
 */
#include "config.h"

#include "pywbs.h"

#include <string.h>

struct pyrun {
	PyObject_HEAD
	struct wbs_run	*run;
	struct pyitems	 pi;
	PyObject	*convert;	/* callable(key, value, step) or NULL */
	PyObject	*warn;		/* callable(message) or NULL */
	PyObject	*mirror;	/* summary mirror (dict) or NULL */
	char		*journal;	/* registered writer journal, or NULL */
};

/* Option names of the constructor, in enum wbs_opt order. */
static const struct {
	const char	*name;
	int		 opt;
} run_opts[] = {
	{ "dir", WBS_OPT_DIR }, { "project", WBS_OPT_PROJECT },
	{ "entity", WBS_OPT_ENTITY }, { "id", WBS_OPT_ID },
	{ "name", WBS_OPT_NAME }, { "notes", WBS_OPT_NOTES },
	{ "group", WBS_OPT_GROUP }, { "job_type", WBS_OPT_JOB_TYPE },
	{ "tags", WBS_OPT_TAGS }, { "resume", WBS_OPT_RESUME },
	{ "fork_from", WBS_OPT_FORK_FROM },
	{ "resume_from", WBS_OPT_RESUME_FROM }, { "mode", WBS_OPT_MODE },
	{ "host", WBS_OPT_HOST }, { "program", WBS_OPT_PROGRAM },
	{ "git_remote", WBS_OPT_GIT_REMOTE },
	{ "git_commit", WBS_OPT_GIT_COMMIT },
	{ "sync_interval", WBS_OPT_SYNC_INTERVAL },
};

/* Raise the run's last error. */
static PyObject *
run_fail(struct pyrun *self, int rc)
{
	return pymod_raise(rc, wbs_run_errmsg(self->run));
}

/* 0 if the handle is open, else -1 with ValueError. */
static int
run_check(struct pyrun *self)
{
	if (self->run != NULL)
		return 0;
	PyErr_SetString(PyExc_ValueError, "run is closed");
	return -1;
}

/* The conversion context of this run at a step. */
static void
run_conv(struct pyrun *self, struct pyconv *cv, PyObject *mirror,
    int64_t step)
{
	cv->convert = self->convert;
	cv->warn = self->warn;
	cv->mirror = mirror;
	cv->step = step;
}

/* Fill an option set from a dict of name -> str or None. */
static int
run_fill_opts(struct wbs_opts *o, PyObject *dict)
{
	PyObject	*key, *val;
	Py_ssize_t	 pos = 0;
	const char	*name, *v;
	size_t		 i;
	int		 rc;

	if (!PyDict_Check(dict)) {
		PyErr_SetString(PyExc_TypeError, "opts must be a dict");
		return -1;
	}
	while (PyDict_Next(dict, &pos, &key, &val)) {
		if ((name = PyUnicode_AsUTF8(key)) == NULL)
			return -1;
		for (i = 0; i < sizeof(run_opts) / sizeof(run_opts[0]); i++)
			if (strcmp(run_opts[i].name, name) == 0)
				break;
		if (i == sizeof(run_opts) / sizeof(run_opts[0])) {
			PyErr_Format(PyExc_ValueError, "unknown run option "
			    "\"%s\"", name);
			return -1;
		}
		if (val == Py_None)
			continue;
		if ((v = PyUnicode_AsUTF8(val)) == NULL)
			return -1;
		if ((rc = wbs_opts_set(o, run_opts[i].opt, v)) != 0) {
			pymod_raise(rc, wbs_opts_errmsg(o));
			return -1;
		}
	}
	return 0;
}

/* Build the options and the initial config, then open the run. */
static int
run_open(struct pyrun *self, PyObject *opts, PyObject *config)
{
	struct wbs_opts	*o = NULL;
	struct pyconv	 cv;
	char		 err[1024];
	Py_ssize_t	 n;
	int		 rc;

	if ((rc = wbs_opts_new(&o)) != 0) {
		pymod_raise(rc, NULL);
		return -1;
	}
	if (opts != NULL && opts != Py_None && run_fill_opts(o, opts) != 0)
		goto fail;
	if (config != NULL && config != Py_None) {
		run_conv(self, &cv, NULL, 0);
		if ((n = pyitems_from_dict(&self->pi, config, &cv)) < 0)
			goto fail;
		if ((rc = wbs_opts_config(o, self->pi.items, (size_t)n)) !=
		    0) {
			pymod_raise(rc, wbs_opts_errmsg(o));
			goto fail;
		}
		pyitems_reset(&self->pi);
	}
	if ((rc = wbs_run_open(&self->run, o, err, sizeof(err))) != 0) {
		pymod_raise(rc, err);
		goto fail;
	}
	wbs_opts_free(o);
	if (wbs_run_journal(self->run) != NULL) {
		if ((self->journal = strdup(wbs_run_journal(self->run))) ==
		    NULL) {
			PyErr_NoMemory();
			return -1;
		}
		if (pymod_writer_add(self->journal) != 0)
			return -1;
	}
	return 0;
fail:
	pyitems_reset(&self->pi);
	wbs_opts_free(o);
	return -1;
}

static int
run_init(struct pyrun *self, PyObject *args, PyObject *kw)
{
	static char	*kwlist[] = { "opts", "config", "convert", "warn",
			    "mirror", NULL };
	PyObject	*opts = NULL, *config = NULL, *convert = NULL;
	PyObject	*warn = NULL, *mirror = NULL;

	if (self->run != NULL) {
		PyErr_SetString(PyExc_ValueError, "run is already open");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO$OOO", kwlist, &opts,
	    &config, &convert, &warn, &mirror))
		return -1;
	if ((convert != NULL && convert != Py_None &&
	    !PyCallable_Check(convert)) ||
	    (warn != NULL && warn != Py_None && !PyCallable_Check(warn))) {
		PyErr_SetString(PyExc_TypeError, "convert and warn must be "
		    "callable");
		return -1;
	}
	if (mirror != NULL && mirror != Py_None && !PyDict_Check(mirror)) {
		PyErr_SetString(PyExc_TypeError, "mirror must be a dict");
		return -1;
	}
#define SETREF(f, v) do { \
	Py_XSETREF(self->f, (v) != NULL && (v) != Py_None ? Py_NewRef(v) : \
	    NULL); \
} while (0)
	SETREF(convert, convert);
	SETREF(warn, warn);
	SETREF(mirror, mirror);
#undef SETREF
	return run_open(self, opts, config);
}

/* Close the handle (without finishing) and forget the journal. */
static void
run_close_handle(struct pyrun *self)
{
	if (self->journal != NULL) {
		pymod_writer_remove(self->journal);
		free(self->journal);
		self->journal = NULL;
	}
	wbs_run_close(self->run);
	self->run = NULL;
}

static int
run_traverse(struct pyrun *self, visitproc visit, void *arg)
{
	Py_VISIT(self->convert);
	Py_VISIT(self->warn);
	Py_VISIT(self->mirror);
	Py_VISIT(self->pi.keep);
	return 0;
}

static int
run_clear(struct pyrun *self)
{
	Py_CLEAR(self->convert);
	Py_CLEAR(self->warn);
	Py_CLEAR(self->mirror);
	pyitems_reset(&self->pi);
	return 0;
}

static void
run_dealloc(struct pyrun *self)
{
	PyObject_GC_UnTrack(self);
	run_close_handle(self);
	run_clear(self);
	pyitems_release(&self->pi);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The step argument: None is WBS_STEP_AUTO; ints and __index__ work. */
static int
run_step_arg(PyObject *arg, int64_t *stepp)
{
	long long	 s;
	PyObject	*idx;

	if (arg == NULL || arg == Py_None) {
		*stepp = WBS_STEP_AUTO;
		return 0;
	}
	if (PyBool_Check(arg) || (idx = PyNumber_Index(arg)) == NULL) {
		PyErr_Clear();
		PyErr_Format(PyExc_TypeError, "step must be an int, not %.80s",
		    Py_TYPE(arg)->tp_name);
		return -1;
	}
	s = PyLong_AsLongLong(idx);
	Py_DECREF(idx);
	if (s == -1 && PyErr_Occurred())
		return -1;
	if (s < 0) {
		PyErr_Format(PyExc_ValueError, "step %lld is negative", s);
		return -1;
	}
	*stepp = s;
	return 0;
}

/* log(data, step=None, commit=None): one history row (W&B run.log). */
static PyObject *
run_log(struct pyrun *self, PyObject *const *args, Py_ssize_t nargs,
    PyObject *kwnames)
{
	PyObject	*data = NULL, *steparg = NULL, *commit = NULL;
	struct pyconv	 cv;
	Py_ssize_t	 n;
	int64_t		 step, cur;
	unsigned	 flags = 0;
	int		 rc;

	if (nargs < 1 || nargs > 3)
		goto usage;
	data = args[0];
	steparg = nargs > 1 ? args[1] : NULL;
	commit = nargs > 2 ? args[2] : NULL;
	for (Py_ssize_t i = 0; kwnames != NULL &&
	    i < PyTuple_GET_SIZE(kwnames); i++) {
		const char *k = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, i));

		if (k != NULL && strcmp(k, "step") == 0 && steparg == NULL)
			steparg = args[nargs + i];
		else if (k != NULL && strcmp(k, "commit") == 0 &&
		    commit == NULL)
			commit = args[nargs + i];
		else
			goto usage;
	}
	if (run_check(self) != 0 || run_step_arg(steparg, &step) != 0)
		return NULL;
	if (commit != NULL && commit != Py_None) {
		if ((rc = PyObject_IsTrue(commit)) < 0)
			return NULL;
		flags = rc ? WBS_LOG_COMMIT : WBS_LOG_NOCOMMIT;
	}
	/* Refuse a lower step before the summary mirror sees the row. */
	cur = wbs_run_step(self->run);
	if (step != WBS_STEP_AUTO && step < cur) {
		char msg[160];

		snprintf(msg, sizeof(msg), "log: step %lld is lower than the "
		    "current step %lld; W&B steps only increase",
		    (long long)step, (long long)cur);
		return pymod_raise(WBS_ESTEP, msg);
	}
	run_conv(self, &cv, self->mirror, step == WBS_STEP_AUTO ? cur : step);
	if ((n = pyitems_from_dict(&self->pi, data, &cv)) < 0)
		return NULL;
	rc = wbs_run_log(self->run, self->pi.items, (size_t)n, step, flags);
	pyitems_reset(&self->pi);
	if (rc != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
usage:
	PyErr_SetString(PyExc_TypeError, "log(data, step=None, commit=None)");
	return NULL;
}

/* Shared body of config(), summary() and stats(). */
static PyObject *
run_items(struct pyrun *self, PyObject *data, PyObject *mirror,
    int (*fn)(struct wbs_run *, const struct wbs_item *, size_t))
{
	struct pyconv	cv;
	Py_ssize_t	n;
	int		rc;

	if (run_check(self) != 0)
		return NULL;
	run_conv(self, &cv, mirror, wbs_run_step(self->run));
	if ((n = pyitems_from_dict(&self->pi, data, &cv)) < 0)
		return NULL;
	rc = fn(self->run, self->pi.items, (size_t)n);
	pyitems_reset(&self->pi);
	if (rc != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

/* Shared body of config_remove() and summary_remove(). */
static PyObject *
run_remove(struct pyrun *self, PyObject *keys,
    int (*fn)(struct wbs_run *, const char *const *, size_t))
{
	const char	**k;
	size_t		  n;
	PyObject	 *keepalive;
	int		  rc;

	if (run_check(self) != 0 ||
	    pyitems_strings(keys, &k, &n, &keepalive) != 0)
		return NULL;
	rc = fn(self->run, k, n);
	PyMem_Free(k);
	Py_DECREF(keepalive);
	if (rc != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

static PyObject *
run_config(struct pyrun *self, PyObject *data)
{
	return run_items(self, data, NULL, wbs_run_config);
}

static PyObject *
run_config_remove(struct pyrun *self, PyObject *keys)
{
	return run_remove(self, keys, wbs_run_config_remove);
}

static PyObject *
run_summary(struct pyrun *self, PyObject *data)
{
	return run_items(self, data, self->mirror, wbs_run_summary);
}

static PyObject *
run_summary_remove(struct pyrun *self, PyObject *keys)
{
	return run_remove(self, keys, wbs_run_summary_remove);
}

static PyObject *
run_stats(struct pyrun *self, PyObject *data)
{
	return run_items(self, data, NULL, wbs_run_stats);
}

/* define_metric(name=None, glob=None, step_metric=None, summary=0, ...) */
static PyObject *
run_define_metric(struct pyrun *self, PyObject *args, PyObject *kw)
{
	static char		*kwlist[] = { "name", "glob", "step_metric",
				    "summary", "goal", "flags", NULL };
	struct wbs_metric	 m;
	int			 rc;

	memset(&m, 0, sizeof(m));
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|zzzIiI", kwlist, &m.name,
	    &m.glob, &m.step_metric, &m.summary, &m.goal, &m.flags) ||
	    run_check(self) != 0)
		return NULL;
	if ((rc = wbs_run_define_metric(self->run, &m)) != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

/* set(field, value): name, notes, group or job type. */
static PyObject *
run_set(struct pyrun *self, PyObject *args)
{
	const char	*value;
	int		 field, rc;

	if (!PyArg_ParseTuple(args, "iz", &field, &value) ||
	    run_check(self) != 0)
		return NULL;
	if ((rc = wbs_run_set(self->run, field, value)) != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

static PyObject *
run_set_tags(struct pyrun *self, PyObject *tags)
{
	return run_remove(self, tags, wbs_run_set_tags);
}

/* console(stream, data): data is str (UTF-8) or bytes. */
static PyObject *
run_console(struct pyrun *self, PyObject *args)
{
	PyObject	*data;
	const char	*p;
	Py_ssize_t	 len;
	int		 stream, rc;

	if (!PyArg_ParseTuple(args, "iO", &stream, &data) ||
	    run_check(self) != 0)
		return NULL;
	if (PyBytes_Check(data)) {
		p = PyBytes_AS_STRING(data);
		len = PyBytes_GET_SIZE(data);
	} else if ((p = PyUnicode_AsUTF8AndSize(data, &len)) == NULL)
		return NULL;
	if ((rc = wbs_run_console(self->run, stream, p, (size_t)len)) != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

/* file(path, src=None, policy=POLICY_NOW, type=FILE_OTHER) */
static PyObject *
run_file(struct pyrun *self, PyObject *args, PyObject *kw)
{
	static char	*kwlist[] = { "path", "src", "policy", "type", NULL };
	const char	*path, *src = NULL;
	int		 policy = WBS_POLICY_NOW, type = WBS_FILE_OTHER, rc;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "s|zii", kwlist, &path,
	    &src, &policy, &type) || run_check(self) != 0)
		return NULL;
	if ((rc = wbs_run_file(self->run, path, src, policy, type)) != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

/* alert(title, text, level="INFO", wait_ms=0) */
static PyObject *
run_alert(struct pyrun *self, PyObject *args, PyObject *kw)
{
	static char	*kwlist[] = { "title", "text", "level", "wait_ms",
			    NULL };
	const char	*title, *text, *level = "INFO";
	long long	 wait_ms = 0;
	int		 rc;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "ss|sL", kwlist, &title,
	    &text, &level, &wait_ms) || run_check(self) != 0)
		return NULL;
	if ((rc = wbs_run_alert(self->run, title, text, level,
	    (int64_t)wait_ms)) != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

static PyObject *
run_preempting(struct pyrun *self, PyObject *noargs)
{
	int rc;

	if (run_check(self) != 0)
		return NULL;
	if ((rc = wbs_run_preempting(self->run)) != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

/* finish(exit_code=0): commit, record the exit code and sync to disk. */
static PyObject *
run_finish(struct pyrun *self, PyObject *args)
{
	int code = 0, rc;

	if (!PyArg_ParseTuple(args, "|i", &code) || run_check(self) != 0)
		return NULL;
	if ((rc = wbs_run_finish(self->run, code)) != 0)
		return run_fail(self, rc);
	Py_RETURN_NONE;
}

static PyObject *
run_close(struct pyrun *self, PyObject *noargs)
{
	run_close_handle(self);
	Py_RETURN_NONE;
}

static PyObject *
run_str_or_none(const char *s)
{
	if (s == NULL || *s == '\0')	/* mode disabled: no directory */
		Py_RETURN_NONE;
	return PyUnicode_DecodeFSDefault(s);
}

static PyObject *
run_get_id(struct pyrun *self, void *closure)
{
	if (run_check(self) != 0)
		return NULL;
	return PyUnicode_FromString(wbs_run_id(self->run));
}

static PyObject *
run_get_dir(struct pyrun *self, void *closure)
{
	if (run_check(self) != 0)
		return NULL;
	return run_str_or_none(wbs_run_dir(self->run));
}

static PyObject *
run_get_journal(struct pyrun *self, void *closure)
{
	if (run_check(self) != 0)
		return NULL;
	return run_str_or_none(wbs_run_journal(self->run));
}

static PyObject *
run_get_step(struct pyrun *self, void *closure)
{
	if (run_check(self) != 0)
		return NULL;
	return PyLong_FromLongLong((long long)wbs_run_step(self->run));
}

static PyObject *
run_get_closed(struct pyrun *self, void *closure)
{
	return PyBool_FromLong(self->run == NULL);
}

static PyObject *
run_get_mirror(struct pyrun *self, void *closure)
{
	if (self->mirror == NULL)
		Py_RETURN_NONE;
	return Py_NewRef(self->mirror);
}

static PyMethodDef run_methods[] = {
	{ "log", (PyCFunction)(void (*)(void))run_log,
	    METH_FASTCALL | METH_KEYWORDS,
	    PyDoc_STR("log(data, step=None, commit=None): a history row") },
	{ "config", (PyCFunction)run_config, METH_O,
	    PyDoc_STR("config(dict): set config items") },
	{ "config_remove", (PyCFunction)run_config_remove, METH_O,
	    PyDoc_STR("config_remove(keys): remove config keys") },
	{ "summary", (PyCFunction)run_summary, METH_O,
	    PyDoc_STR("summary(dict): set summary items") },
	{ "summary_remove", (PyCFunction)run_summary_remove, METH_O,
	    PyDoc_STR("summary_remove(keys): remove summary keys") },
	{ "stats", (PyCFunction)run_stats, METH_O,
	    PyDoc_STR("stats(dict): a system stats sample") },
	{ "define_metric", (PyCFunction)(void (*)(void))run_define_metric,
	    METH_VARARGS | METH_KEYWORDS,
	    PyDoc_STR("define_metric(name=None, glob=None, step_metric=None, "
	    "summary=0, goal=0, flags=0)") },
	{ "set", (PyCFunction)run_set, METH_VARARGS,
	    PyDoc_STR("set(field, value): name, notes, group or job type") },
	{ "set_tags", (PyCFunction)run_set_tags, METH_O,
	    PyDoc_STR("set_tags(tags): replace the tags") },
	{ "console", (PyCFunction)run_console, METH_VARARGS,
	    PyDoc_STR("console(stream, data): a console chunk") },
	{ "file", (PyCFunction)(void (*)(void))run_file,
	    METH_VARARGS | METH_KEYWORDS,
	    PyDoc_STR("file(path, src=None, policy=0, type=0)") },
	{ "alert", (PyCFunction)(void (*)(void))run_alert,
	    METH_VARARGS | METH_KEYWORDS,
	    PyDoc_STR("alert(title, text, level='INFO', wait_ms=0)") },
	{ "preempting", (PyCFunction)run_preempting, METH_NOARGS,
	    PyDoc_STR("preempting(): the run is about to be preempted") },
	{ "finish", (PyCFunction)run_finish, METH_VARARGS,
	    PyDoc_STR("finish(exit_code=0): end the run") },
	{ "close", (PyCFunction)run_close, METH_NOARGS,
	    PyDoc_STR("close(): close the handle (an unfinished run stays "
	    "running)") },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef run_getset[] = {
	{ "id", (getter)run_get_id, NULL, "run id", NULL },
	{ "dir", (getter)run_get_dir, NULL, "run directory", NULL },
	{ "journal", (getter)run_get_journal, NULL, "journal directory",
	    NULL },
	{ "step", (getter)run_get_step, NULL,
	    "step the next auto-stepped row gets", NULL },
	{ "closed", (getter)run_get_closed, NULL, "handle closed", NULL },
	{ "mirror", (getter)run_get_mirror, NULL,
	    "summary mirror given to the constructor", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyTypeObject pyrun_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_wbstore.Run",
	.tp_basicsize = sizeof(struct pyrun),
	.tp_dealloc = (destructor)run_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_doc = PyDoc_STR("Run(opts=None, config=None, *, convert=None, "
	    "warn=None, mirror=None): open a run for writing"),
	.tp_traverse = (traverseproc)run_traverse,
	.tp_clear = (inquiry)run_clear,
	.tp_methods = run_methods,
	.tp_getset = run_getset,
	.tp_init = (initproc)run_init,
	.tp_new = PyType_GenericNew,
};
