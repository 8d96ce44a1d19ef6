/*
 * pymod.c - the _wbstore module: types, errors and constants.
 */
#include "config.h"

#include "pywbs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PyObject	*pymod_error;
PyObject	*pymod_skip;
static PyObject	*writers;	/* set of journal realpaths */

PyMODINIT_FUNC	PyInit__wbstore(void);

/* _wbstore.Json: a str holding a JSON document (W&B's extended JSON). */
PyTypeObject pymod_json_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "_wbstore.Json",
	.tp_doc = PyDoc_STR("A str that holds a JSON document; logged as a "
	    "JSON value rather than a string."),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE |
	    Py_TPFLAGS_UNICODE_SUBCLASS,
};

/* Raise _wbstore.Error(code, message). */
PyObject *
pymod_raise(int code, const char *msg)
{
	PyObject *exc;

	if (code == WBS_ENOMEM)
		return PyErr_NoMemory();
	exc = PyObject_CallFunction(pymod_error, "is", code,
	    msg != NULL && *msg != '\0' ? msg : wbs_strerror(code));
	if (exc != NULL) {
		PyErr_SetObject(pymod_error, exc);
		Py_DECREF(exc);
	}
	return NULL;
}

/* The realpath of a path as a str, or NULL without an exception. */
static PyObject *
real(const char *path)
{
	char buf[PATH_MAX];

	if (realpath(path, buf) == NULL)
		return NULL;
	return PyUnicode_DecodeFSDefault(buf);
}

/* Add or remove a realpath of path in the writer set. */
static int
writer_mark(const char *path, int add)
{
	PyObject	*p;
	int		 rc;

	if ((p = real(path)) == NULL) {
		PyErr_Clear();
		return 0;
	}
	rc = add ? PySet_Add(writers, p) : PySet_Discard(writers, p);
	Py_DECREF(p);
	return rc < 0 ? -1 : 0;
}

/* Remember a journal open for writing, and its run directory. */
int
pymod_writer_add(const char *journal)
{
	char	dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", journal);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (writer_mark(journal, 1) != 0 ||
	    (slash != NULL && writer_mark(dir, 1) != 0))
		return -1;
	return 0;
}

void
pymod_writer_remove(const char *journal)
{
	char	dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", journal);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (writer_mark(journal, 0) != 0 ||
	    (slash != NULL && writer_mark(dir, 0) != 0))
		PyErr_Clear();
}

/*
 * 1 if path is a journal (or the run directory of one) that this process
 * has open for writing.  LMDB forbids opening an environment twice in one
 * process: closing the second handle would drop the first one's locks.
 */
int
pymod_writer_has(const char *path)
{
	PyObject	*p;
	int		 found;

	if (PySet_GET_SIZE(writers) == 0)
		return 0;
	if ((p = real(path)) == NULL) {
		PyErr_Clear();
		return 0;
	}
	found = PySet_Contains(writers, p);
	Py_DECREF(p);
	if (found < 0) {
		PyErr_Clear();
		found = 0;
	}
	return found;
}

static PyObject *
mod_version(PyObject *self, PyObject *noargs)
{
	return PyUnicode_FromString(wbs_version());
}

static PyObject *
mod_strerror(PyObject *self, PyObject *arg)
{
	long code = PyLong_AsLong(arg);

	if (code == -1 && PyErr_Occurred())
		return NULL;
	return PyUnicode_FromString(wbs_strerror((int)code));
}

static PyObject *
mod_check_run_id(PyObject *self, PyObject *arg)
{
	char		 err[256];
	const char	*id;

	if ((id = PyUnicode_AsUTF8(arg)) == NULL)
		return NULL;
	if (wbs_check_run_id(id, err, sizeof(err)) != 0)
		return PyUnicode_FromString(err);
	Py_RETURN_NONE;
}

static PyObject *
mod_check_project(PyObject *self, PyObject *arg)
{
	char		 err[256];
	const char	*project;

	if ((project = PyUnicode_AsUTF8(arg)) == NULL)
		return NULL;
	if (wbs_check_project(project, err, sizeof(err)) != 0)
		return PyUnicode_FromString(err);
	Py_RETURN_NONE;
}

static PyMethodDef mod_methods[] = {
	{ "version", mod_version, METH_NOARGS,
	    PyDoc_STR("version() -> libwbstore's version string") },
	{ "strerror", mod_strerror, METH_O,
	    PyDoc_STR("strerror(code) -> name and meaning of an error code") },
	{ "check_run_id", mod_check_run_id, METH_O,
	    PyDoc_STR("check_run_id(id) -> None if valid, else the problem") },
	{ "check_project", mod_check_project, METH_O,
	    PyDoc_STR("check_project(name) -> None if valid, else the "
	    "problem") },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef mod_def = {
	PyModuleDef_HEAD_INIT,
	.m_name = "_wbstore",
	.m_doc = PyDoc_STR("CPython binding of libwbstore (run writer and "
	    "journal reader)."),
	.m_size = -1,
	.m_methods = mod_methods,
};

static int
add_consts(PyObject *m)
{
	static const struct {
		const char	*name;
		long		 value;
	} consts[] = {
#define C(x) { #x, x }
		C(WBS_OK), C(WBS_ENOMEM), C(WBS_EINVAL), C(WBS_EIO),
		C(WBS_ENOSPC), C(WBS_ENOTFOUND), C(WBS_EEXIST),
		C(WBS_EVERSION), C(WBS_ECORRUPT), C(WBS_ETOOBIG),
		C(WBS_ESTEP), C(WBS_EFINISHED), C(WBS_EUTF8), C(WBS_ERDONLY),
		C(WBS_ELOCKED),
		C(WBS_SUMMARY_MIN), C(WBS_SUMMARY_MAX), C(WBS_SUMMARY_MEAN),
		C(WBS_SUMMARY_BEST), C(WBS_SUMMARY_LAST), C(WBS_SUMMARY_NONE),
		C(WBS_SUMMARY_FIRST), C(WBS_SUMMARY_COPY),
		C(WBS_GOAL_UNSET), C(WBS_GOAL_MINIMIZE), C(WBS_GOAL_MAXIMIZE),
		C(WBS_METRIC_HIDDEN), C(WBS_METRIC_STEP_SYNC),
		C(WBS_FIELD_NAME), C(WBS_FIELD_NOTES), C(WBS_FIELD_GROUP),
		C(WBS_FIELD_JOB_TYPE), C(WBS_STDERR), C(WBS_STDOUT),
		C(WBS_POLICY_NOW), C(WBS_POLICY_END), C(WBS_POLICY_LIVE),
		C(WBS_FILE_OTHER), C(WBS_FILE_WANDB), C(WBS_FILE_MEDIA),
		C(WBS_VALUE_MAX), C(WBS_ROW_MAX), C(WBS_KEY_MAX),
#undef C
	};

	for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
		if (PyModule_AddIntConstant(m, consts[i].name + 4,
		    consts[i].value) != 0)
			return -1;
	return PyModule_AddStringConstant(m, "SEP", WBS_SEP);
}

static int
add_type(PyObject *m, const char *name, PyTypeObject *t)
{
	if (PyType_Ready(t) != 0)
		return -1;
	Py_INCREF(t);
	if (PyModule_AddObject(m, name, (PyObject *)t) != 0) {
		Py_DECREF(t);
		return -1;
	}
	return 0;
}

PyMODINIT_FUNC
PyInit__wbstore(void)
{
	PyObject *m;

	pymod_json_type.tp_base = &PyUnicode_Type;
	if ((m = PyModule_Create(&mod_def)) == NULL)
		return NULL;
	if ((pymod_error = PyErr_NewExceptionWithDoc("_wbstore.Error",
	    "A libwbstore call failed: args are (code, message).", NULL,
	    NULL)) == NULL)
		goto fail;
	Py_INCREF(pymod_error);
	if (PyModule_AddObject(m, "Error", pymod_error) != 0) {
		Py_DECREF(pymod_error);
		goto fail;
	}
	if ((pymod_skip = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type))
	    == NULL)
		goto fail;
	Py_INCREF(pymod_skip);
	if (PyModule_AddObject(m, "SKIP", pymod_skip) != 0) {
		Py_DECREF(pymod_skip);
		goto fail;
	}
	if ((writers = PySet_New(NULL)) == NULL)
		goto fail;
	if (add_type(m, "Json", &pymod_json_type) != 0 ||
	    add_type(m, "Run", &pyrun_type) != 0 ||
	    add_type(m, "Journal", &pyjournal_type) != 0 ||
	    add_consts(m) != 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
