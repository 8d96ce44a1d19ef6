/*
 * pyitems.c - Python dicts to wbs_item arrays, in one pass and in C.
 *
 * This is the hot path of run.log(): a dict of scalars becomes an item
 * array without per-item Python-level work.  Keys of the top level borrow
 * the UTF-8 that CPython caches in each str object (no copy); nested keys
 * are joined with WBS_SEP into a per-run buffer that is reused from call
 * to call, as is the item array.
 */
#include "config.h"

#include "pywbs.h"

#include <string.h>

struct walk {
	struct pyitems		*pi;
	const struct pyconv	*cv;
};

static int	walk_dict(struct walk *w, PyObject *dict, PyObject *mirror,
		    size_t plen, int depth);
static int	descend(struct walk *w, PyObject *mirror, size_t plen,
		    const char *comp, Py_ssize_t clen, PyObject *key,
		    PyObject *sub, int depth);

/* Results of add_value() besides -1 (error). */
#define ADDED		0	/* one item added; the mirror gets *leafp */
#define SKIPPED		1	/* nothing added */
#define DESCENDED	2	/* a nested dict, mirror already updated */

#define MAX_DEPTH	64

/* Make room for one more item and len bytes of nested key. */
static int
reserve(struct pyitems *pi, size_t len)
{
	if (pi->n == pi->cap) {
		size_t		 cap = pi->cap ? pi->cap * 2 : 32;
		struct wbs_item	*items;
		size_t		*koff;

		if ((items = PyMem_Realloc(pi->items, cap *
		    sizeof(*items))) == NULL)
			goto nomem;
		pi->items = items;
		if ((koff = PyMem_Realloc(pi->koff, cap * sizeof(*koff))) ==
		    NULL)
			goto nomem;
		pi->koff = koff;
		pi->cap = cap;
	}
	if (pi->klen + len > pi->kcap) {
		size_t	 cap = pi->kcap ? pi->kcap : 1024;
		char	*keys;

		while (cap < pi->klen + len)
			cap *= 2;
		if ((keys = PyMem_Realloc(pi->keys, cap)) == NULL)
			goto nomem;
		pi->keys = keys;
		pi->kcap = cap;
	}
	return 0;
nomem:
	PyErr_NoMemory();
	return -1;
}

/* Keep obj alive until the next reset (steals the reference). */
static int
keep(struct pyitems *pi, PyObject *obj)
{
	int rc;

	if (pi->keep == NULL && (pi->keep = PyList_New(0)) == NULL) {
		Py_DECREF(obj);
		return -1;
	}
	rc = PyList_Append(pi->keep, obj);
	Py_DECREF(obj);
	return rc;
}

/* The dotted display form of path + component, for messages. */
static PyObject *
display_key(const struct pyitems *pi, size_t plen, const char *comp,
    Py_ssize_t clen)
{
	char	buf[WBS_KEY_MAX + 64];
	size_t	n = 0;

	for (size_t i = 0; i < plen && n < sizeof(buf) - 1; i++)
		buf[n++] = pi->path[i] == WBS_SEP_CHAR ? '.' : pi->path[i];
	if (plen > 0 && n < sizeof(buf) - 1)
		buf[n++] = '.';
	for (Py_ssize_t i = 0; i < clen && n < sizeof(buf) - 1; i++) {
		unsigned char c = (unsigned char)comp[i];

		buf[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	return PyUnicode_DecodeUTF8(buf, (Py_ssize_t)n, "replace");
}

/*
 * A bad item: with a warn callback, report it and skip the item (1);
 * without one, raise ValueError (-1).
 */
static int
bad_item(struct walk *w, size_t plen, const char *comp, Py_ssize_t clen,
    const char *what)
{
	PyObject *key, *msg, *r;

	if ((key = display_key(w->pi, plen, comp, clen)) == NULL)
		return -1;
	msg = PyUnicode_FromFormat("key \"%U\": %s", key, what);
	Py_DECREF(key);
	if (msg == NULL)
		return -1;
	if (w->cv->warn == NULL) {
		PyErr_SetObject(PyExc_ValueError, msg);
		Py_DECREF(msg);
		return -1;
	}
	r = PyObject_CallOneArg(w->cv->warn, msg);
	Py_DECREF(msg);
	if (r == NULL)
		PyErr_WriteUnraisable(w->cv->warn);
	Py_XDECREF(r);
	return 1;
}

/* Check a key component: non-empty, no control characters. */
static const char *
check_comp(const char *s, Py_ssize_t len)
{
	if (len == 0)
		return "empty key; skipped";
	for (Py_ssize_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return "key contains a control character; skipped";
	}
	return NULL;
}

/* Append an item for path + comp; its value is filled by the caller. */
static struct wbs_value *
new_item(struct walk *w, size_t plen, const char *comp, Py_ssize_t clen)
{
	struct pyitems	*pi = w->pi;
	size_t		 need = plen ? plen + 1 + (size_t)clen + 1 : 0;
	size_t		 i;

	if (reserve(pi, need) != 0)
		return NULL;
	i = pi->n++;
	if (plen == 0) {
		pi->items[i].key = comp;
		pi->koff[i] = SIZE_MAX;
	} else {
		char *k = pi->keys + pi->klen;

		memcpy(k, pi->path, plen);
		k[plen] = WBS_SEP_CHAR;
		memcpy(k + plen + 1, comp, (size_t)clen);
		k[plen + 1 + (size_t)clen] = '\0';
		pi->koff[i] = pi->klen;
		pi->klen += need;
	}
	return &pi->items[i].v;
}

/* Set a string-like value; too long values are bad items. */
static int
set_str(struct walk *w, size_t plen, const char *comp, Py_ssize_t clen,
    int type, const char *p, Py_ssize_t len)
{
	struct wbs_value *v;

	if ((size_t)len > WBS_VALUE_MAX)
		return bad_item(w, plen, comp, clen, "value is over the 1 MiB "
		    "limit; skipped");
	if ((v = new_item(w, plen, comp, clen)) == NULL)
		return -1;
	v->type = type;
	v->u.s.ptr = p;
	v->u.s.len = (size_t)len;
	return 0;
}

/* A numpy scalar (int, float, bool) without importing numpy; 1 if done. */
static int
numpy_scalar(struct walk *w, size_t plen, const char *comp, Py_ssize_t clen,
    PyObject *obj, PyObject **leafp)
{
	const char		*name = Py_TYPE(obj)->tp_name;
	PyNumberMethods		*nb = Py_TYPE(obj)->tp_as_number;
	struct wbs_value	*v;
	PyObject		*num;

	if (strncmp(name, "numpy.", 6) != 0 || nb == NULL)
		return 0;
	name += 6;
	if (strncmp(name, "bool", 4) == 0) {
		int b = PyObject_IsTrue(obj);

		if (b < 0 || (v = new_item(w, plen, comp, clen)) == NULL)
			return -1;
		v->type = WBS_BOOL;
		v->u.b = b;
		*leafp = b ? Py_True : Py_False;
		return 1;
	}
	if (strncmp(name, "int", 3) == 0 || strncmp(name, "uint", 4) == 0) {
		if (nb->nb_index == NULL || (num = PyNumber_Index(obj)) == NULL)
			return nb->nb_index == NULL ? 0 : -1;
	} else if (strncmp(name, "float", 5) == 0) {
		if (nb->nb_float == NULL || (num = PyNumber_Float(obj)) == NULL)
			return nb->nb_float == NULL ? 0 : -1;
	} else
		return 0;
	if (keep(w->pi, num) != 0)
		return -1;
	*leafp = num;
	if ((v = new_item(w, plen, comp, clen)) == NULL)
		return -1;
	if (PyFloat_Check(num)) {
		v->type = WBS_DOUBLE;
		v->u.d = PyFloat_AS_DOUBLE(num);
		return 1;
	}
	v->type = WBS_INT;
	v->u.i = PyLong_AsLongLong(num);
	if (v->u.i == -1 && PyErr_Occurred()) {
		/* uint64 above INT64_MAX: keep every digit as JSON. */
		PyErr_Clear();
		w->pi->n--;
		return -2;
	}
	return 1;
}

/* Hand an unknown value to the convert callback; 1 if it gave one. */
static int
convert(struct walk *w, size_t plen, const char *comp, Py_ssize_t clen,
    PyObject *obj, PyObject **outp)
{
	PyObject	*key, *step, *r;
	char		 kbuf[WBS_KEY_MAX + 2];
	size_t		 n = 0;

	if (w->cv->convert == NULL)
		return 0;
	if (plen > 0) {
		memcpy(kbuf, w->pi->path, plen);
		kbuf[plen] = WBS_SEP_CHAR;
		n = plen + 1;
	}
	memcpy(kbuf + n, comp, (size_t)clen);
	n += (size_t)clen;
	if ((key = PyUnicode_DecodeUTF8(kbuf, (Py_ssize_t)n, "replace")) ==
	    NULL)
		return -1;
	if ((step = PyLong_FromLongLong(w->cv->step)) == NULL) {
		Py_DECREF(key);
		return -1;
	}
	r = PyObject_CallFunctionObjArgs(w->cv->convert, key, obj, step, NULL);
	Py_DECREF(key);
	Py_DECREF(step);
	if (r == NULL || keep(w->pi, r) != 0)
		return -1;
	*outp = r;
	return 1;
}

/* Big ints and other values kept as their JSON text. */
static int
set_json_text(struct walk *w, size_t plen, const char *comp, Py_ssize_t clen,
    PyObject *text, PyObject **leafp)
{
	const char	*p;
	Py_ssize_t	 len;

	if (text == NULL || keep(w->pi, text) != 0)
		return -1;
	if ((p = PyUnicode_AsUTF8AndSize(text, &len)) == NULL)
		return -1;
	*leafp = text;
	return set_str(w, plen, comp, clen, WBS_JSON, p, len);
}

/*
 * Add the value of path + comp (key is the component as a str).  A value
 * the module does not know goes to the convert callback once (converted
 * is then 1).  *leafp gets what the summary mirror stores.
 */
static int
add_value(struct walk *w, PyObject *mirror, size_t plen, PyObject *key,
    const char *comp, Py_ssize_t clen, PyObject *obj, int depth,
    int converted, PyObject **leafp)
{
	struct wbs_value	*v;
	const char		*p;
	Py_ssize_t		 len;
	int			 rc, overflow;

	*leafp = obj;
	if (obj == Py_None || obj == Py_True || obj == Py_False) {
		if ((v = new_item(w, plen, comp, clen)) == NULL)
			return -1;
		v->type = obj == Py_None ? WBS_NULL : WBS_BOOL;
		v->u.b = obj == Py_True;
		return ADDED;
	}
	if (PyFloat_Check(obj)) {
		if ((v = new_item(w, plen, comp, clen)) == NULL)
			return -1;
		v->type = WBS_DOUBLE;
		v->u.d = PyFloat_AS_DOUBLE(obj);
		return ADDED;
	}
	if (PyLong_Check(obj)) {
		long long i = PyLong_AsLongLongAndOverflow(obj, &overflow);

		if (i == -1 && PyErr_Occurred())
			return -1;
		if (overflow)
			return set_json_text(w, plen, comp, clen,
			    PyObject_Str(obj), leafp);
		if ((v = new_item(w, plen, comp, clen)) == NULL)
			return -1;
		v->type = WBS_INT;
		v->u.i = i;
		return ADDED;
	}
	if (PyUnicode_Check(obj)) {
		if ((p = PyUnicode_AsUTF8AndSize(obj, &len)) == NULL) {
			PyErr_Clear();
			return bad_item(w, plen, comp, clen, "string is not "
			    "valid UTF-8 (lone surrogate); skipped");
		}
		return set_str(w, plen, comp, clen, PyObject_TypeCheck(obj,
		    &pymod_json_type) ? WBS_JSON : WBS_STRING, p, len);
	}
	if (PyDict_Check(obj)) {
		if (PyDict_GET_SIZE(obj) == 0)
			return set_str(w, plen, comp, clen, WBS_JSON, "{}", 2);
		if ((rc = descend(w, mirror, plen, comp, clen, key, obj,
		    depth)) < 0)
			return -1;
		return rc == SKIPPED ? SKIPPED : DESCENDED;
	}
	if (PyBytes_Check(obj))
		return set_str(w, plen, comp, clen, WBS_BYTES,
		    PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj));
	if ((rc = numpy_scalar(w, plen, comp, clen, obj, leafp)) != 0)
		return rc == -2 ? set_json_text(w, plen, comp, clen,
		    PyObject_Str(obj), leafp) : (rc < 0 ? -1 : ADDED);
	if (!converted) {
		PyObject *r;

		if ((rc = convert(w, plen, comp, clen, obj, &r)) < 0)
			return -1;
		if (rc == 1)
			return r == pymod_skip ? SKIPPED : add_value(w, mirror,
			    plen, key, comp, clen, r, depth, 1, leafp);
	}
	{
		char what[200];

		snprintf(what, sizeof(what), "value of type %.80s is not "
		    "JSON serializable; skipped", Py_TYPE(obj)->tp_name);
		return bad_item(w, plen, comp, clen, what);
	}
}

/* Descend into a nested dict under path + comp. */
static int
descend(struct walk *w, PyObject *mirror, size_t plen, const char *comp,
    Py_ssize_t clen, PyObject *key, PyObject *sub, int depth)
{
	PyObject	*m = NULL;
	size_t		 nlen = plen ? plen + 1 + (size_t)clen : (size_t)clen;
	int		 rc;

	if (nlen >= WBS_KEY_MAX || depth >= MAX_DEPTH)
		return bad_item(w, plen, comp, clen, "key path is too long "
		    "or too deep; skipped");
	if (plen > 0)
		w->pi->path[plen] = WBS_SEP_CHAR;
	memcpy(w->pi->path + (plen ? plen + 1 : 0), comp, (size_t)clen);
	if (mirror != NULL) {
		if ((m = PyDict_GetItemWithError(mirror, key)) == NULL &&
		    PyErr_Occurred())
			return -1;
		if (m == NULL || !PyDict_CheckExact(m)) {
			if ((m = PyDict_New()) == NULL)
				return -1;
			rc = PyDict_SetItem(mirror, key, m);
			Py_DECREF(m);
			if (rc != 0)
				return -1;
		}
	}
	if (Py_EnterRecursiveCall(" in a logged dict") != 0)
		return -1;
	rc = walk_dict(w, sub, m, nlen, depth + 1);
	Py_LeaveRecursiveCall();
	return rc;
}

/* Convert the items of one dict level whose path is path[0..plen). */
static int
walk_dict(struct walk *w, PyObject *dict, PyObject *mirror, size_t plen,
    int depth)
{
	PyObject	*key, *val, *leaf;
	Py_ssize_t	 pos = 0, clen;
	const char	*comp, *bad;
	int		 rc;

	while (PyDict_Next(dict, &pos, &key, &val)) {
		if (!PyUnicode_Check(key)) {
			char what[160];

			snprintf(what, sizeof(what), "keys must be strings, "
			    "not %.80s; skipped", Py_TYPE(key)->tp_name);
			if (bad_item(w, plen, "?", 1, what) < 0)
				return -1;
			continue;
		}
		if ((comp = PyUnicode_AsUTF8AndSize(key, &clen)) == NULL) {
			PyErr_Clear();
			if (bad_item(w, plen, "?", 1, "key is not valid UTF-8 "
			    "(lone surrogate); skipped") < 0)
				return -1;
			continue;
		}
		if ((bad = check_comp(comp, clen)) != NULL ||
		    (plen ? plen + 1 : 0) + (size_t)clen > WBS_KEY_MAX) {
			if (bad_item(w, plen, comp, clen, bad ? bad : "key is "
			    "over the 1024-byte limit; skipped") < 0)
				return -1;
			continue;
		}
		Py_INCREF(key);
		Py_INCREF(val);
		rc = add_value(w, mirror, plen, key, comp, clen, val, depth, 0,
		    &leaf);
		if (rc == ADDED && mirror != NULL)
			rc = PyDict_SetItem(mirror, key, leaf);
		Py_DECREF(val);
		Py_DECREF(key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Convert a dict (see pywbs.h). */
Py_ssize_t
pyitems_from_dict(struct pyitems *pi, PyObject *dict, const struct pyconv *cv)
{
	struct walk w = { pi, cv };

	pyitems_reset(pi);
	if (!PyDict_Check(dict)) {
		PyErr_Format(PyExc_TypeError, "expected a dict, not %.80s",
		    Py_TYPE(dict)->tp_name);
		return -1;
	}
	if (walk_dict(&w, dict, cv->mirror, 0, 0) != 0)
		return -1;
	for (size_t i = 0; i < pi->n; i++)
		if (pi->koff[i] != SIZE_MAX)
			pi->items[i].key = pi->keys + pi->koff[i];
	return (Py_ssize_t)pi->n;
}

void
pyitems_reset(struct pyitems *pi)
{
	pi->n = 0;
	pi->klen = 0;
	Py_CLEAR(pi->keep);
}

void
pyitems_release(struct pyitems *pi)
{
	pyitems_reset(pi);
	PyMem_Free(pi->items);
	PyMem_Free(pi->koff);
	PyMem_Free(pi->keys);
	memset(pi, 0, sizeof(*pi));
}

/* A C string array from a sequence of str (see pywbs.h). */
int
pyitems_strings(PyObject *seq, const char ***outp, size_t *np,
    PyObject **keepp)
{
	PyObject	 *fast;
	const char	**out;
	Py_ssize_t	  n;

	if (PyUnicode_Check(seq)) {
		PyErr_SetString(PyExc_TypeError, "expected a sequence of str, "
		    "not a str");
		return -1;
	}
	if ((fast = PySequence_Fast(seq, "expected a sequence of str")) ==
	    NULL)
		return -1;
	n = PySequence_Fast_GET_SIZE(fast);
	if ((out = PyMem_Calloc((size_t)n + 1, sizeof(*out))) == NULL) {
		Py_DECREF(fast);
		PyErr_NoMemory();
		return -1;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *s = PySequence_Fast_GET_ITEM(fast, i);

		if (!PyUnicode_Check(s)) {
			PyErr_Format(PyExc_TypeError, "expected str, not %.80s",
			    Py_TYPE(s)->tp_name);
			goto fail;
		}
		if ((out[i] = PyUnicode_AsUTF8(s)) == NULL)
			goto fail;
		if (strlen(out[i]) != (size_t)PyUnicode_GET_LENGTH(s) &&
		    memchr(out[i], '\0', (size_t)PyUnicode_GET_LENGTH(s))) {
			PyErr_SetString(PyExc_ValueError, "embedded NUL in a "
			    "string");
			goto fail;
		}
	}
	*outp = out;
	*np = (size_t)n;
	*keepp = fast;
	return 0;
fail:
	PyMem_Free(out);
	Py_DECREF(fast);
	return -1;
}

/* A stored value as a Python object. */
PyObject *
pyitems_value(const struct wbs_value *v)
{
	switch (v->type) {
	case WBS_NULL:
		Py_RETURN_NONE;
	case WBS_DOUBLE:
		return PyFloat_FromDouble(v->u.d);
	case WBS_INT:
		return PyLong_FromLongLong((long long)v->u.i);
	case WBS_BOOL:
		return PyBool_FromLong(v->u.b);
	case WBS_STRING:
		return PyUnicode_DecodeUTF8(v->u.s.ptr,
		    (Py_ssize_t)v->u.s.len, "replace");
	case WBS_JSON:
		return PyObject_CallFunction((PyObject *)&pymod_json_type,
		    "s#", v->u.s.ptr, (Py_ssize_t)v->u.s.len);
	case WBS_BYTES:
		return PyBytes_FromStringAndSize(v->u.s.ptr,
		    (Py_ssize_t)v->u.s.len);
	}
	return PyErr_Format(PyExc_ValueError, "stored value has unknown "
	    "type %d", v->type);
}
