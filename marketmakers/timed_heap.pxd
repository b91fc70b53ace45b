# The compiled build's heap of timed items (see timed_heap.py): inlined into the modules whose
# .pxd cimports it. A heap is a malloc'ed TimedHeap whose entries array grows by doubling; each
# entry holds a reference to its item until it is popped (the reference moves to the caller) or
# the heap is freed. Same operations, same order as the heapq version.
# What it buys, measured for issue 19 against heapq on (ts, seq, action, args) tuples in the
# compiled scheduler: the 1 h session's loop 997 M instructions against 1,296 M (callgrind inside
# run_until), `sitex simulate` 1.40x the events/s (medians of 4 alternating runs at load ~4.3:
# 111,848 against 80,058). It stays (docs/benchmarks.md, "Issue 19: the simulator's speed devices").
from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from libc.stdlib cimport free, malloc, realloc


cdef struct Timed:
    long long ts
    long long seq
    PyObject *item


cdef struct TimedHeap:
    Py_ssize_t size
    Py_ssize_t capacity
    Timed *entries


cdef inline TimedHeap *new_heap() except NULL:
    cdef TimedHeap *heap = <TimedHeap *>malloc(sizeof(TimedHeap))
    if heap == NULL:
        raise MemoryError()
    heap.size = 0
    heap.capacity = 256
    heap.entries = <Timed *>malloc(heap.capacity * sizeof(Timed))
    if heap.entries == NULL:
        free(heap)
        raise MemoryError()
    return heap


cdef inline bint _earlier(Timed *a, Timed *b) noexcept:
    return a.ts < b.ts or (a.ts == b.ts and a.seq < b.seq)


cdef inline int heap_push(TimedHeap *heap, long long ts, long long seq, object item) except -1:
    cdef Timed *entries
    cdef Timed entry
    cdef Py_ssize_t i, parent
    if heap.size == heap.capacity:
        entries = <Timed *>realloc(heap.entries, 2 * heap.capacity * sizeof(Timed))
        if entries == NULL:
            raise MemoryError()
        heap.entries = entries
        heap.capacity *= 2
    entries = heap.entries
    entry.ts = ts
    entry.seq = seq
    entry.item = <PyObject *>item
    Py_INCREF(item)
    i = heap.size
    heap.size += 1
    while i > 0:  # sift up: each later parent moves down into the hole
        parent = (i - 1) >> 1
        if not _earlier(&entry, &entries[parent]):
            break
        entries[i] = entries[parent]
        i = parent
    entries[i] = entry
    return 0


cdef inline Py_ssize_t heap_len(TimedHeap *heap) noexcept:
    return heap.size


cdef inline long long heap_first_ts(TimedHeap *heap) noexcept:
    return heap.entries[0].ts


cdef inline object heap_pop(TimedHeap *heap):
    cdef Timed *entries = heap.entries
    cdef PyObject *item = entries[0].item
    cdef Py_ssize_t n, i, child
    cdef Timed last
    heap.size -= 1
    n = heap.size
    if n > 0:  # the last entry sifts down from the root
        last = entries[n]
        i = 0
        child = 1
        while child < n:
            if child + 1 < n and _earlier(&entries[child + 1], &entries[child]):
                child += 1
            if not _earlier(&entries[child], &last):
                break
            entries[i] = entries[child]
            i = child
            child = 2 * i + 1
        entries[i] = last
    result = <object>item  # a new reference ...
    Py_XDECREF(item)  # ... so the heap's is dropped: the caller holds the only one
    return result


cdef inline void heap_shift(TimedHeap *heap, long long delta) noexcept:
    cdef Py_ssize_t i
    for i in range(heap.size):
        heap.entries[i].ts += delta


cdef inline void free_heap(TimedHeap *heap) noexcept:
    cdef Py_ssize_t i
    if heap == NULL:
        return
    for i in range(heap.size):
        Py_XDECREF(heap.entries[i].item)
    free(heap.entries)
    free(heap)
