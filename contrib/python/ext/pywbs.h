/*
 * pywbs.h - the _wbstore extension module: shared declarations.
 *
 * _wbstore is the CPython binding of libwbstore: a Run type over the
 * writer (wbs_run_*), a Journal type over the reader (wbs_journal_*,
 * wbs_iter_*) and the conversion of Python dicts to wbs_item arrays.  The
 * Python packages wbstore and wandb are written on top of it.
 *
 * Every call holds the GIL: item arrays borrow the UTF-8 of str objects
 * owned by the caller's dict, which another thread could otherwise free,
 * and a run handle is used by one thread at a time.
 */
#ifndef PYWBS_H
#define PYWBS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>

#include "wbstore/wbstore.h"

/* Module state, shared by the files of the module. */
extern PyObject		*pymod_error;	/* _wbstore.Error */
extern PyObject		*pymod_skip;	/* _wbstore.SKIP */
extern PyTypeObject	 pymod_json_type; /* _wbstore.Json (str subclass) */
extern PyTypeObject	 pyrun_type;
extern PyTypeObject	 pyjournal_type;

/* Raise _wbstore.Error(code, message); returns NULL. */
PyObject	*pymod_raise(int code, const char *msg);
/* Journals open for writing in this process (realpaths). */
int		 pymod_writer_add(const char *journal);
void		 pymod_writer_remove(const char *journal);
int		 pymod_writer_has(const char *path);

/* How unknown values and bad items are handled during a conversion. */
struct pyconv {
	PyObject	*convert;	/* callable(key, value, step) or NULL */
	PyObject	*warn;		/* callable(message) or NULL: raise */
	PyObject	*mirror;	/* dict updated with leaves, or NULL */
	int64_t		 step;		/* passed to convert */
};

/*
 * A reusable item array.  Top-level keys point into the str objects of
 * the converted dict; nested keys are joined into keys[] and fixed up at
 * the end (keys[] may move while it grows).
 */
struct pyitems {
	struct wbs_item	*items;
	size_t		*koff;		/* offset into keys, or SIZE_MAX */
	size_t		 n, cap;
	char		*keys;
	size_t		 klen, kcap;
	PyObject	*keep;		/* new objects the items point into */
	char		 path[WBS_KEY_MAX + 2];
};

/*
 * Fill pi from a dict (nested dicts become key paths).  Returns the
 * number of items, or -1 with a Python exception set.  The items stay
 * valid until the next call on pi or pyitems_reset().
 */
Py_ssize_t	 pyitems_from_dict(struct pyitems *pi, PyObject *dict,
		    const struct pyconv *cv);
/* Drop what the last conversion kept alive. */
void		 pyitems_reset(struct pyitems *pi);
void		 pyitems_release(struct pyitems *pi);
/* A C string array from a sequence of str (borrowed UTF-8). */
int		 pyitems_strings(PyObject *seq, const char ***outp,
		    size_t *np, PyObject **keepp);
/* A stored value as a Python object (JSON as a _wbstore.Json). */
PyObject	*pyitems_value(const struct wbs_value *v);

#endif /* PYWBS_H */
