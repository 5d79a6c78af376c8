/*
 * The native pre-filter of a folder scan: reads each file of a batch into a
 * reused buffer, off the main thread and on several threads, and tells which
 * files hold none of the rules' keywords. Those files are done (clean, their
 * size counted); every other file (a keyword, a UTF-16 byte-order mark, over
 * --max-file-size, not a regular file, any error) goes through the JavaScript engine,
 * which reads it again and decides as it always did. So the answer only has
 * to be a superset of the files where the engine could find something.
 *
 *   scan(paths: string[] | string, keywords: Buffer[], options: { threads, maxFileSize, tails? })
 *     → Promise<Float64Array>: per path, the bytes of a clean file, or -1 for "let JavaScript scan it".
 *     paths may come as one string with NUL between them (no path holds NUL: the walk lists them); tails: what
 *     must follow each keyword for a rule to match (keywords.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git-blobs.h"
#include "git-log.h"
#include "git-packs.h"
#include "spawn.h"
#include "exports.h"
#include "keywords.h"
#include "options.h"

#define MAX_THREADS 64
#define NEEDS_ENGINE (-1.0)
#define SKIP (-2.0) /* marks a path not to open, before the threads start */

typedef struct {
  char *path_bytes;  /* all paths, NUL-terminated, one after another */
  size_t *path_at;   /* where each path starts in path_bytes */
  size_t count;
  keyword_t *keywords;
  unsigned char *keyword_bytes;
  size_t keyword_count;
  int threads;
  size_t overlap; /* longest keyword plus its tail, - 1: what a chunk keeps of the one before */
  double max_file_size; /* 0: no limit */
  double *results;
  size_t next; /* next file nobody has taken (atomic) */
  napi_async_work work;
  napi_deferred deferred;
} batch_t;

#define CHUNK (1024 * 1024)

typedef struct {
  unsigned char *buffer; /* CHUNK bytes plus room for the tail of the previous chunk */
  size_t capacity;
} reader_t;

/*
 * The bytes of a clean file, or NEEDS_ENGINE. The file is read in chunks of
 * CHUNK bytes, each searched together with the last (longest keyword - 1)
 * bytes of the one before, so a keyword cut by a chunk boundary is still
 * seen; a reused 1 MiB buffer stays in cache, where a buffer the size of the
 * file cost a page fault per 4 KiB. No keyword in any chunk means the engine
 * would find nothing, whether it reads the file whole or streams it.
 */
static double check_file(batch_t *batch, reader_t *reader, const char *path) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below sends it to JavaScript. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return NEEDS_ENGINE;
  double result = NEEDS_ENGINE;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) goto done;
  if (batch->max_file_size > 0 && (double)st.st_size > batch->max_file_size) goto done;
  if (reader->buffer == NULL) goto done;
  size_t carry = 0, total = 0;
  for (;;) {
    ssize_t got = read(fd, reader->buffer + carry, CHUNK);
    if (got < 0) {
      if (errno == EINTR) continue;
      goto done;
    }
    if (got == 0) break;
    size_t length = carry + (size_t)got;
    const unsigned char *bytes = reader->buffer;
    /* A UTF-16 byte-order mark: the engine scans the decoded text too. */
    if (total == 0 && length >= 2 && ((bytes[0] == 0xff && bytes[1] == 0xfe) || (bytes[0] == 0xfe && bytes[1] == 0xff))) goto done;
    total += (size_t)got;
    for (size_t i = 0; i < batch->keyword_count; i++)
      if (contains(bytes, length, &batch->keywords[i])) goto done;
    /* A short read at or past the size fstat gave is the end of a regular file: spare the read that returns 0. */
    if (total >= (size_t)st.st_size && (size_t)got < CHUNK) break;
    carry = length < batch->overlap ? length : batch->overlap;
    memmove(reader->buffer, reader->buffer + length - carry, carry);
  }
  /* The JavaScript path counts a file larger than --max-file-size as skipped, even if it grew since fstat. */
  if (batch->max_file_size > 0 && (double)total > batch->max_file_size) goto done;
  result = (double)total;
done:
  close(fd);
  return result;
}

static void *run_thread(void *arg) {
  batch_t *batch = arg;
  reader_t reader = {malloc(CHUNK + batch->overlap), CHUNK + batch->overlap}; /* NULL: every file goes to JavaScript */
  for (;;) {
    size_t index = __atomic_fetch_add(&batch->next, 1, __ATOMIC_RELAXED);
    if (index >= batch->count) break;
    if (batch->results[index] == SKIP) batch->results[index] = NEEDS_ENGINE;
    else batch->results[index] = check_file(batch, &reader, batch->path_bytes + batch->path_at[index]);
  }
  free(reader.buffer);
  return NULL;
}

static void execute(napi_env env, void *data) {
  (void)env;
  batch_t *batch = data;
  pthread_t helpers[MAX_THREADS];
  int started = 0;
  for (int i = 1; i < batch->threads && i < MAX_THREADS; i++)
    if (pthread_create(&helpers[started], NULL, run_thread, batch) == 0) started++;
  run_thread(batch);
  for (int i = 0; i < started; i++) pthread_join(helpers[i], NULL);
}

static void free_batch(batch_t *batch) {
  free(batch->path_bytes);
  free(batch->path_at);
  free(batch->keywords);
  free(batch->keyword_bytes);
  free(batch->results);
  free(batch);
}

static void complete(napi_env env, napi_status status, void *data) {
  batch_t *batch = data;
  napi_value array_buffer, typed;
  void *out;
  if (status == napi_ok && napi_create_arraybuffer(env, batch->count * sizeof(double), &out, &array_buffer) == napi_ok &&
      napi_create_typedarray(env, napi_float64_array, batch->count, array_buffer, 0, &typed) == napi_ok) {
    if (batch->count > 0) memcpy(out, batch->results, batch->count * sizeof(double));
    napi_resolve_deferred(env, batch->deferred, typed);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "native pre-filter failed", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, batch->deferred, error);
  }
  napi_delete_async_work(env, batch->work);
  free_batch(batch);
}

#define CHECK(call)                                                                   \
  do {                                                                                \
    if ((call) != napi_ok) {                                                          \
      napi_throw_error(env, NULL, "scan-prefilter: bad arguments");                   \
      goto fail;                                                                      \
    }                                                                                 \
  } while (0)

static napi_value scan(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], promise, name;
  batch_t *batch = calloc(1, sizeof(batch_t));
  if (batch == NULL) {
    napi_throw_error(env, NULL, "scan-prefilter: out of memory");
    return NULL;
  }
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) CHECK(napi_invalid_arg);

  uint32_t count = 0, keyword_count;
  napi_valuetype paths_type;
  CHECK(napi_typeof(env, argv[0], &paths_type));
  CHECK(napi_get_array_length(env, argv[1], &keyword_count));
  if (paths_type == napi_string) {
    /* Every path in one string, NUL between them: one conversion for the batch, not two calls a path. */
    size_t length;
    CHECK(napi_get_value_string_utf8(env, argv[0], NULL, 0, &length));
    batch->path_bytes = malloc(length + 1);
    if (batch->path_bytes == NULL) CHECK(napi_generic_failure);
    CHECK(napi_get_value_string_utf8(env, argv[0], batch->path_bytes, length + 1, &length));
    size_t paths = 1;
    for (size_t i = 0; i < length; i++) paths += batch->path_bytes[i] == '\0';
    if (paths > UINT32_MAX) CHECK(napi_invalid_arg);
    count = (uint32_t)paths;
    batch->path_at = malloc((count + 1) * sizeof(size_t));
    batch->results = calloc(count + 1, sizeof(double));
    if (batch->path_at == NULL || batch->results == NULL) CHECK(napi_generic_failure);
    size_t next = 0;
    batch->path_at[next++] = 0;
    for (size_t i = 0; i < length; i++)
      if (batch->path_bytes[i] == '\0') batch->path_at[next++] = i + 1;
  } else {
    CHECK(napi_get_array_length(env, argv[0], &count));
    batch->path_at = malloc((count + 1) * sizeof(size_t));
    batch->results = malloc((count + 1) * sizeof(double));
    if (batch->path_at == NULL || batch->results == NULL) CHECK(napi_generic_failure);
    size_t used = 0, capacity = 64 * (size_t)count + 64;
    batch->path_bytes = malloc(capacity);
    if (batch->path_bytes == NULL) CHECK(napi_generic_failure);
    for (uint32_t i = 0; i < count; i++) {
      napi_value element;
      size_t length;
      CHECK(napi_get_element(env, argv[0], i, &element));
      CHECK(napi_get_value_string_utf8(env, element, NULL, 0, &length));
      if (used + length + 1 > capacity) {
        capacity = (used + length + 1) * 2;
        char *grown = realloc(batch->path_bytes, capacity);
        if (grown == NULL) CHECK(napi_generic_failure);
        batch->path_bytes = grown;
      }
      CHECK(napi_get_value_string_utf8(env, element, batch->path_bytes + used, length + 1, &length));
      batch->path_at[i] = used;
      used += length + 1;
      /* A path holding NUL would name another file in C: leave it to JavaScript, which rejects it as it always did. */
      batch->results[i] = strlen(batch->path_bytes + used - length - 1) == length ? 0 : SKIP;
    }
  }
  batch->count = count;

  size_t keyword_total = 0;
  batch->keywords = calloc(keyword_count + 1, sizeof(keyword_t));
  if (batch->keywords == NULL) CHECK(napi_generic_failure);
  for (uint32_t i = 0; i < keyword_count; i++) {
    napi_value element;
    void *data;
    size_t length;
    CHECK(napi_get_element(env, argv[1], i, &element));
    CHECK(napi_get_buffer_info(env, element, &data, &length));
    keyword_total += length;
  }
  batch->keyword_bytes = malloc(keyword_total + 1);
  if (batch->keyword_bytes == NULL) CHECK(napi_generic_failure);
  size_t at = 0;
  for (uint32_t i = 0; i < keyword_count; i++) {
    napi_value element;
    void *data;
    size_t length;
    CHECK(napi_get_element(env, argv[1], i, &element));
    CHECK(napi_get_buffer_info(env, element, &data, &length));
    if (length > 0) memcpy(batch->keyword_bytes + at, data, length);
    batch->keywords[i].bytes = batch->keyword_bytes + at;
    batch->keywords[i].length = length;
    batch->keywords[i].anchor = pick_anchor(batch->keyword_bytes + at, length);
    at += length;
  }
  batch->keyword_count = keyword_count;
  read_tails(env, argv[2], batch->keywords, keyword_count);
  /* A chunk keeps what a keyword and its tail need of the chunk before: a match cut by the boundary is whole in the next. */
  for (uint32_t i = 0; i < keyword_count; i++)
    if (batch->keywords[i].length + batch->keywords[i].tail > batch->overlap + 1)
      batch->overlap = batch->keywords[i].length + batch->keywords[i].tail - 1;

  double threads = number_option(env, argv[2], "threads", 1);
  batch->threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : (int)threads;
  batch->max_file_size = number_option(env, argv[2], "maxFileSize", 0);

  CHECK(napi_create_promise(env, &batch->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "neevscan:scan-prefilter", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, batch, &batch->work));
  CHECK(napi_queue_async_work(env, batch->work));
  return promise;
fail:
  free_batch(batch);
  return NULL;
}

/*
 * countNewlines(buffer, start, end) → how many `\n` bytes buffer[start, end) holds (the range clamped to the
 * buffer). The engine carries line numbers across the chunks of a large file with it: in JavaScript that was an
 * indexOf call per line, more time than searching the chunk. A plain loop, which the compiler vectorises.
 */
static napi_value count_newlines(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  void *data;
  size_t length;
  double start = 0, end = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok || napi_get_value_double(env, argv[1], &start) != napi_ok ||
      napi_get_value_double(env, argv[2], &end) != napi_ok) {
    napi_throw_type_error(env, NULL, "countNewlines(buffer, start, end)");
    return NULL;
  }
  size_t from = start > 0 ? (start < (double)length ? (size_t)start : length) : 0;
  size_t to = end > 0 ? (end < (double)length ? (size_t)end : length) : 0;
  const unsigned char *bytes = data;
  size_t count = 0;
  for (size_t i = from; i < to; i++) count += bytes[i] == '\n';
  if (napi_create_double(env, (double)count, &result) != napi_ok) return NULL;
  return result;
}

/*
 * exitNow(status): ends the process at once with `status` (_exit). Once a scan has written its report, Node's own
 * teardown (its platform's threads, libuv's pool, the heap, static destructors) took 6-7 ms of a 150 ms command
 * (bin/neevscan.js calls this only when nothing is left to write, and never under a profiler or coverage).
 */
static napi_value exit_now(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t status = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &status) != napi_ok) {
    napi_throw_type_error(env, NULL, "exitNow(status)");
    return NULL;
  }
  _exit(status & 0xff);
}

static napi_value init(napi_env env, napi_value exports) {
  if (!export_function(env, exports, "scan", scan) || !export_function(env, exports, "countNewlines", count_newlines) ||
      !export_function(env, exports, "exitNow", exit_now))
    return NULL;
  if (spawn_init(env, exports) == NULL) return NULL;
  if (git_packs_init(env, exports) == NULL) return NULL;
  if (git_log_init(env, exports) == NULL) return NULL;
  return git_blobs_init(env, exports);
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
