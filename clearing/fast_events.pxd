# The compiled build's `make` (see fast_events.py): inlined into the modules whose .pxd
# cimports it. It is tuple_subtype_new of CPython's Objects/tupleobject.c without the argument
# parsing: allocate an instance of the event class, then take a reference to each value.
cdef extern from *:
    """
    static PyObject *sitex_make_event(PyObject *cls, PyObject *values) {
        Py_ssize_t i, n = PyTuple_GET_SIZE(values);
        PyTypeObject *type = (PyTypeObject *)cls;
        PyObject *event = type->tp_alloc(type, n);
        if (event == NULL) {
            return NULL;
        }
        for (i = 0; i < n; i++) {
            PyObject *item = PyTuple_GET_ITEM(values, i);
            Py_INCREF(item);
            PyTuple_SET_ITEM(event, i, item);
        }
        return event;
    }
    """
    object sitex_make_event(type cls, tuple values)


cdef inline object make(type cls, tuple values):
    return sitex_make_event(cls, values)
