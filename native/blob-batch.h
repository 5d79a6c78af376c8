/*
 * Batches of blobs for the main thread, shared by the two `scan --git` blob
 * readers (git-blobs.c: `git cat-file --batch` output; git-packs.c: pack
 * files read directly). A reader thread fills a batch with records (a blob
 * with a keyword and its bytes, a name git lacks, a blob over the size limit)
 * and counts of the blobs it passed over as clean, then hands it to the main
 * thread through a thread-safe function, whose call_js is deliver_batch:
 *
 *   onBatch(data: Buffer, records: Float64Array, files: number, bytes: number)
 *     records: FIELDS numbers each: kind (KIND_*), name start and length in data, content start in data, size.
 */
#ifndef NEEVSCAN_BLOB_BATCH_H
#define NEEVSCAN_BLOB_BATCH_H

#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keywords.h"
#include "options.h"

#define FIELDS 5
/* While a reader finds only clean blobs, their counts still go out at least this often: progress. */
#define COUNTS_EVERY_NS (50 * 1000 * 1000)

enum { KIND_BLOB = 0, KIND_MISSING = 1, KIND_TOO_LARGE = 2 };

typedef struct {
  unsigned char *data;
  size_t length, capacity;
  double *records;
  size_t count, record_capacity;
  double files, bytes;
} batch_t;

/* What both readers share with the main thread: the tsfn's context. */
typedef struct {
  napi_threadsafe_function tsfn;
  napi_deferred deferred;
  napi_ref exception; /* what onBatch threw: the promise is rejected with it */
  int failed;         /* onBatch could not be called (the main thread) */
  size_t fields;      /* numbers a record (0: FIELDS, the blob readers') */
} sink_t;

/* Every rule's keyword, and whether a blob needs the JavaScript engine. */
typedef struct {
  keyword_t *keywords;
  unsigned char *keyword_bytes;
  size_t keyword_count;
} keyword_set_t;

static inline void free_batch(batch_t *batch) {
  if (batch == NULL) return;
  free(batch->data);
  free(batch->records);
  free(batch);
}

static inline int grow(void **block, size_t *capacity, size_t needed, size_t unit) {
  if (needed <= *capacity) return 0;
  size_t next = *capacity * 2 > needed ? *capacity * 2 : needed;
  void *grown = realloc(*block, next * unit);
  if (grown == NULL) return ENOMEM;
  *block = grown;
  *capacity = next;
  return 0;
}

/* Adds a record (with the blob's content for KIND_BLOB) to the batch being filled (*batch, made when NULL). */
static inline int add_record(batch_t **batch, int kind, const unsigned char *name, size_t name_length, const unsigned char *content,
                             size_t size) {
  if (*batch == NULL && (*batch = calloc(1, sizeof(batch_t))) == NULL) return ENOMEM;
  batch_t *b = *batch;
  size_t kept = kind == KIND_BLOB ? size : 0;
  if (grow((void **)&b->data, &b->capacity, b->length + name_length + kept, 1) != 0) return ENOMEM;
  if (grow((void **)&b->records, &b->record_capacity, (b->count + 1) * FIELDS, sizeof(double)) != 0) return ENOMEM;
  double *record = b->records + b->count * FIELDS;
  record[0] = kind;
  record[1] = (double)b->length;
  record[2] = (double)name_length;
  memcpy(b->data + b->length, name, name_length);
  b->length += name_length;
  record[3] = (double)b->length;
  record[4] = (double)size;
  if (kept > 0) memcpy(b->data + b->length, content, kept);
  b->length += kept;
  b->count++;
  return 0;
}

static inline int count_clean(batch_t **batch, size_t size) {
  if (*batch == NULL && (*batch = calloc(1, sizeof(batch_t))) == NULL) return ENOMEM;
  (*batch)->files++;
  (*batch)->bytes += (double)size;
  return 0;
}

/* Hands the batch being filled (if any) to the main thread, waiting while the queue is full; the reader starts a new one. */
static inline void hand_over(const sink_t *sink, batch_t **batch) {
  if (*batch == NULL) return;
  if (napi_call_threadsafe_function(sink->tsfn, *batch, napi_tsfn_blocking) != napi_ok) free_batch(*batch);
  *batch = NULL;
}

/* Whether COUNTS_EVERY_NS have passed since `sent`: time for a batch of counts alone. */
static inline int counts_due(const struct timespec *sent) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)(now.tv_sec - sent->tv_sec) * 1000000000 + (now.tv_nsec - sent->tv_nsec) >= COUNTS_EVERY_NS;
}

/* Whether the JavaScript engine must see a blob: a keyword in it, or a UTF-16 byte-order mark (it scans the decoded text). */
static inline int needs_engine(const keyword_set_t *k, const unsigned char *bytes, size_t size) {
  if (size >= 2 && ((bytes[0] == 0xff && bytes[1] == 0xfe) || (bytes[0] == 0xfe && bytes[1] == 0xff))) return 1;
  if (k->keyword_count == 0) return 1;
  for (size_t i = 0; i < k->keyword_count; i++)
    if (contains(bytes, size, &k->keywords[i])) return 1;
  return 0;
}

/* Reads a list of keyword Buffers (and options.tails) into k; 0 when the arguments are not that. */
static inline int read_keyword_set(napi_env env, napi_value list, napi_value options, keyword_set_t *k) {
  uint32_t count;
  if (napi_get_array_length(env, list, &count) != napi_ok) return 0;
  size_t total = 0;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      k->keywords = calloc(count + 1, sizeof(keyword_t));
      k->keyword_bytes = malloc(total + 1);
      if (k->keywords == NULL || k->keyword_bytes == NULL) return 0;
      total = 0;
    }
    for (uint32_t i = 0; i < count; i++) {
      napi_value element;
      void *data;
      size_t length;
      if (napi_get_element(env, list, i, &element) != napi_ok || napi_get_buffer_info(env, element, &data, &length) != napi_ok) return 0;
      if (pass == 1) {
        if (length > 0) memcpy(k->keyword_bytes + total, data, length);
        k->keywords[i] = (keyword_t){.bytes = k->keyword_bytes + total, .length = length, .anchor = pick_anchor(k->keyword_bytes + total, length)};
      }
      total += length;
    }
  }
  k->keyword_count = count;
  read_tails(env, options, k->keywords, k->keyword_count);
  return 1;
}

static inline void free_keyword_set(keyword_set_t *k) {
  free(k->keywords);
  free(k->keyword_bytes);
  k->keywords = NULL;
  k->keyword_bytes = NULL;
}

/* The tsfn's call_js, on the main thread: one batch to onBatch. `context` is the reader's sink_t. */
static inline void deliver_batch(napi_env env, napi_value callback, void *context, void *data) {
  sink_t *sink = context;
  batch_t *b = data;
  if (env != NULL && sink->exception == NULL && !sink->failed) {
    static const unsigned char empty = 0;
    napi_value args[4], array_buffer, undefined, thrown;
    void *records;
    size_t fields = b->count * (sink->fields ? sink->fields : FIELDS);
    int ok = napi_create_buffer_copy(env, b->length, b->length ? (void *)b->data : (void *)&empty, NULL, &args[0]) == napi_ok &&
             napi_create_arraybuffer(env, fields * sizeof(double), &records, &array_buffer) == napi_ok &&
             napi_create_typedarray(env, napi_float64_array, fields, array_buffer, 0, &args[1]) == napi_ok &&
             napi_create_double(env, b->files, &args[2]) == napi_ok && napi_create_double(env, b->bytes, &args[3]) == napi_ok &&
             napi_get_undefined(env, &undefined) == napi_ok;
    if (ok && fields > 0) memcpy(records, b->records, fields * sizeof(double));
    if (!ok || napi_call_function(env, undefined, callback, 4, args, NULL) != napi_ok) {
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending && napi_get_and_clear_last_exception(env, &thrown) == napi_ok)
        napi_create_reference(env, thrown, 1, &sink->exception);
      else
        sink->failed = 1;
    }
  }
  free_batch(b);
}

/* Settles the promise on the main thread: onBatch's exception, else `message` when non-NULL (an Error), else `value`. */
static inline void settle(napi_env env, sink_t *sink, const char *message, napi_value value) {
  napi_value result;
  if (sink->exception != NULL && napi_get_reference_value(env, sink->exception, &result) == napi_ok) {
    napi_reject_deferred(env, sink->deferred, result);
  } else if (sink->exception != NULL || sink->failed || message != NULL) {
    napi_value text;
    napi_create_string_utf8(env, message ? message : "git blob reader failed", NAPI_AUTO_LENGTH, &text);
    napi_create_error(env, NULL, text, &result);
    napi_reject_deferred(env, sink->deferred, result);
  } else {
    if (value == NULL) napi_get_undefined(env, &value);
    napi_resolve_deferred(env, sink->deferred, value);
  }
  if (sink->exception != NULL) napi_delete_reference(env, sink->exception);
  sink->exception = NULL;
}

/*
 * Makes the reader's promise and its thread-safe function (onBatch through deliver_batch, `sink` its context,
 * `finish(owner)` once it is released) and starts `run(owner)` on a detached thread. 0 when the promise or the
 * function could not be made (nothing started: the caller frees and throws). With no thread, the promise still
 * settles: *error is EAGAIN, `fd` (if any) is closed and the function released, so `finish` rejects it.
 */
static inline int start_reader(napi_env env, napi_value on_batch, const char *name, size_t queue, sink_t *sink, void *owner,
                               napi_finalize finish, void *(*run)(void *), int fd, int *error, napi_value *promise) {
  napi_value resource;
  if (napi_create_promise(env, &sink->deferred, promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource) != napi_ok ||
      napi_create_threadsafe_function(env, on_batch, NULL, resource, queue, 1, owner, finish, sink, deliver_batch, &sink->tsfn) != napi_ok)
    return 0;
  pthread_t thread;
  if (pthread_create(&thread, NULL, run, owner) != 0) {
    *error = EAGAIN;
    if (fd >= 0) close(fd);
    napi_release_threadsafe_function(sink->tsfn, napi_tsfn_release);
    return 1;
  }
  pthread_detach(thread);
  return 1;
}

#endif
