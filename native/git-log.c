/*
 * The whole-history blob index's log reader: takes `git log --raw -z --no-abbrev --no-renames
 * --diff-merges=combined --format=C%H` apart on a thread of its own and hands the main thread only what
 * the index keeps: each commit's name, each path once (an id from then on), and each blob's first sighting
 * at a path (a blob at a path it was already seen at is dropped here). On trufflehog's history that is
 * 60,000 records instead of 107,456 entries of 15.7 MB of text parsed in JavaScript, which shared a core
 * with the pack reader and held `git log` back.
 *
 *   readLog(fd, onBatch) → Promise<void>, settled after the last batch; fd (git's stdout) is closed at the end.
 *     onBatch(data: Buffer, records: Float64Array) (blob-batch.h's deliver_batch): LOG_FIELDS numbers a record:
 *       [0, start, length]                        a commit's name in data (commits are numbered from 0 in order)
 *       [1, start, length]                        a new path in data (paths are numbered from 0 in order)
 *       [2, commit, path, start, length, first]   a blob's name in data, first seen at that path in that commit;
 *                                                 first: 1 when the blob was not seen anywhere before
 * Only entries whose new side is a regular file (100644, 100755, 100664) holding an object count, as in
 * src/sources/git/blob-index.ts, whose JavaScript parser (log-parser.ts) reads the same output otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blob-batch.h"
#include "exports.h"
#include "git-log.h"

#define LOG_FIELDS 6
#define READ_SIZE (1024 * 1024)
#define QUEUE 8
#define SHORT_READ (256 * 1024)
#define FILL_WAIT_NS (1000 * 1000)

enum { RECORD_COMMIT = 0, RECORD_PATH = 1, RECORD_BLOB = 2 };

/* A set of byte strings (open addressing; keys kept in an arena by offset), each with a number. */
typedef struct {
  uint64_t *slots; /* 0 empty; else (arena offset + 1) */
  uint32_t *values;
  size_t capacity, count;
  unsigned char *arena;
  size_t arena_length, arena_capacity;
} set_t;

typedef struct {
  sink_t sink;
  int fd;
  int error;
  set_t paths; /* path → id */
  set_t blobs; /* blob name → 0 */
  set_t seen;  /* blob name + NUL + path id → 0 */
  double commits;
  batch_t *batch; /* records in batch->records, LOG_FIELDS each (batch_t's FIELDS is the blob readers') */
  /* The token after an entry's fields is its path: what was kept of those fields until then. */
  int pending; /* 0: none; 1: an entry whose path comes next; 2: one to pass over (not a regular file) */
  unsigned char oid[64];
  size_t oid_length;
} log_reader_t;

static uint64_t hash_bytes(const unsigned char *bytes, size_t length) {
  uint64_t hash = 1469598103934665603ull;
  for (size_t i = 0; i < length; i++) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash ^ (hash >> 29);
}

/* Arena bytes at `offset`: a 4-byte length, then the key. */
static int key_equals(const set_t *set, uint64_t offset, const unsigned char *key, size_t length) {
  uint32_t stored;
  memcpy(&stored, set->arena + offset, 4);
  return stored == length && memcmp(set->arena + offset + 4, key, length) == 0;
}

static int set_grow(set_t *set) {
  size_t capacity = set->capacity ? set->capacity * 2 : 1024;
  uint64_t *slots = calloc(capacity, sizeof(uint64_t));
  uint32_t *values = malloc(capacity * sizeof(uint32_t));
  if (slots == NULL || values == NULL) {
    free(slots);
    free(values);
    return ENOMEM;
  }
  for (size_t i = 0; i < set->capacity; i++) {
    if (set->slots[i] == 0) continue;
    uint64_t offset = set->slots[i] - 1;
    uint32_t length;
    memcpy(&length, set->arena + offset, 4);
    size_t at = hash_bytes(set->arena + offset + 4, length) & (capacity - 1);
    while (slots[at] != 0) at = (at + 1) & (capacity - 1);
    slots[at] = set->slots[i];
    values[at] = set->values[i];
  }
  free(set->slots);
  free(set->values);
  set->slots = slots;
  set->values = values;
  set->capacity = capacity;
  return 0;
}

/* Adds `key` with `value` if absent. *added: whether it was; *found: its value. */
static int set_add(set_t *set, const unsigned char *key, size_t length, uint32_t value, int *added, uint32_t *found) {
  if ((set->count + 1) * 2 > set->capacity && set_grow(set) != 0) return ENOMEM;
  size_t at = hash_bytes(key, length) & (set->capacity - 1);
  while (set->slots[at] != 0) {
    if (key_equals(set, set->slots[at] - 1, key, length)) {
      *added = 0;
      *found = set->values[at];
      return 0;
    }
    at = (at + 1) & (set->capacity - 1);
  }
  if (grow((void **)&set->arena, &set->arena_capacity, set->arena_length + 4 + length, 1) != 0) return ENOMEM;
  uint32_t stored = (uint32_t)length;
  memcpy(set->arena + set->arena_length, &stored, 4);
  memcpy(set->arena + set->arena_length + 4, key, length);
  set->slots[at] = set->arena_length + 1;
  set->values[at] = value;
  set->arena_length += 4 + length;
  set->count++;
  *added = 1;
  *found = value;
  return 0;
}

static void set_free(set_t *set) {
  free(set->slots);
  free(set->values);
  free(set->arena);
}

/* A record of up to LOG_FIELDS numbers, with `bytes` (its name or path) appended to the batch's data. */
static int add_log_record(log_reader_t *r, const double *fields, size_t count, const unsigned char *bytes, size_t length) {
  if (r->batch == NULL && (r->batch = calloc(1, sizeof(batch_t))) == NULL) return ENOMEM;
  batch_t *b = r->batch;
  if (grow((void **)&b->data, &b->capacity, b->length + length, 1) != 0) return ENOMEM;
  if (grow((void **)&b->records, &b->record_capacity, (b->count + 1) * LOG_FIELDS, sizeof(double)) != 0) return ENOMEM;
  double *record = b->records + b->count * LOG_FIELDS;
  memset(record, 0, LOG_FIELDS * sizeof(double));
  memcpy(record, fields, count * sizeof(double));
  /* The bytes' place goes where each kind keeps it: [start, length] after the kind, or after commit and path. */
  size_t place = record[0] == RECORD_BLOB ? 3 : 1;
  record[place] = (double)b->length;
  record[place + 1] = (double)length;
  memcpy(b->data + b->length, bytes, length);
  b->length += length;
  b->count++;
  return 0;
}

static int is_regular_file(const unsigned char *mode, size_t length) {
  return length == 6 && (memcmp(mode, "100644", 6) == 0 || memcmp(mode, "100755", 6) == 0 || memcmp(mode, "100664", 6) == 0);
}

static int is_no_object(const unsigned char *oid, size_t length) {
  for (size_t i = 0; i < length; i++)
    if (oid[i] != '0') return 0;
  return 1;
}

/* An entry's fields ("::m1 m2 m new o1 o2 onew MM" for a merge): keeps the new side's blob if it counts. */
static void take_fields(log_reader_t *r, const unsigned char *token, size_t length) {
  size_t parents = 0;
  while (parents < length && token[parents] == ':') parents++;
  /* Fields split by spaces: parents + 1 modes, then parents + 1 names, then the status. */
  const unsigned char *field = token + parents, *end = token + length;
  const unsigned char *new_mode = NULL, *new_oid = NULL;
  size_t new_mode_length = 0, new_oid_length = 0;
  for (size_t index = 0; field <= end; index++) {
    const unsigned char *space = memchr(field, ' ', (size_t)(end - field));
    const unsigned char *field_end = space ? space : end;
    if (index == parents) new_mode = field, new_mode_length = (size_t)(field_end - field);
    if (index == 2 * parents + 1) {
      new_oid = field, new_oid_length = (size_t)(field_end - field);
      break;
    }
    if (space == NULL) break;
    field = space + 1;
  }
  r->pending = 2;
  if (new_mode == NULL || new_oid == NULL || new_oid_length == 0 || new_oid_length > sizeof(r->oid)) return;
  if (!is_regular_file(new_mode, new_mode_length) || is_no_object(new_oid, new_oid_length)) return;
  memcpy(r->oid, new_oid, new_oid_length);
  r->oid_length = new_oid_length;
  r->pending = 1;
}

/* An entry's path: the blob's first sighting at it, if it is one. */
static void take_path(log_reader_t *r, const unsigned char *path, size_t length) {
  int added, blob_added;
  uint32_t id, unused;
  if ((r->error = set_add(&r->paths, path, length, (uint32_t)r->paths.count, &added, &id)) != 0) return;
  if (added) {
    double fields[1] = {RECORD_PATH};
    if ((r->error = add_log_record(r, fields, 1, path, length)) != 0) return;
  }
  unsigned char key[64 + 1 + 4];
  memcpy(key, r->oid, r->oid_length);
  key[r->oid_length] = 0;
  memcpy(key + r->oid_length + 1, &id, 4);
  if ((r->error = set_add(&r->seen, key, r->oid_length + 5, 0, &added, &unused)) != 0 || !added) return;
  if ((r->error = set_add(&r->blobs, r->oid, r->oid_length, 0, &blob_added, &unused)) != 0) return;
  double fields[6] = {RECORD_BLOB, r->commits - 1, (double)id, 0, 0, blob_added};
  r->error = add_log_record(r, fields, 6, r->oid, r->oid_length);
}

static void take_token(log_reader_t *r, const unsigned char *token, size_t length) {
  if (r->pending) {
    /* Whatever it looks like (a file may be named "C…" or ":…"), the token after an entry's fields is its path. */
    if (r->pending == 1 && r->commits > 0) take_path(r, token, length);
    r->pending = 0;
    return;
  }
  if (length > 0 && token[0] == '\n') token++, length--; /* git puts a newline before a commit's first raw line */
  if (length > 0 && token[0] == ':') {
    take_fields(r, token, length);
  } else if (length > 0 && token[0] == 'C') {
    size_t name = length - 1;
    while (name > 0 && (token[name] == '\n' || token[name] == ' ')) name--;
    double fields[1] = {RECORD_COMMIT};
    r->error = add_log_record(r, fields, 1, token + 1, name);
    r->commits++;
  }
}

static void *run_log(void *arg) {
  log_reader_t *r = arg;
  pthread_setname_np(pthread_self(), "neevscan-log");
  size_t capacity = READ_SIZE, start = 0, end = 0;
  unsigned char *buffer = malloc(capacity);
  if (buffer == NULL) r->error = ENOMEM;
  while (r->error == 0) {
    if (start > 0) {
      memmove(buffer, buffer + start, end - start);
      end -= start;
      start = 0;
    }
    if (end == capacity) { /* one token larger than the buffer (a very long path): room for it */
      unsigned char *grown = realloc(buffer, capacity * 2);
      if (grown == NULL) {
        r->error = ENOMEM;
        break;
      }
      buffer = grown;
      capacity *= 2;
    }
    ssize_t got = read(r->fd, buffer + end, capacity - end);
    if (got < 0) {
      if (errno == EINTR) continue;
      r->error = errno;
      break;
    }
    if (got == 0) break; /* git is done (a cut token at the end means it failed, which its exit status tells) */
    end += (size_t)got;
    for (;;) {
      unsigned char *nul = memchr(buffer + start, 0, end - start);
      if (nul == NULL) break;
      take_token(r, buffer + start, (size_t)(nul - (buffer + start)));
      start = (size_t)(nul - buffer) + 1;
      if (r->error != 0) break;
    }
    /* A read's worth goes out at once: the blob readers wait for these names. */
    if (r->error == 0) hand_over(&r->sink, &r->batch);
    /* git writes 4 KiB at a time: a read that came back short waits a millisecond for the pipe to fill, rather
     * than waking this thread, git and the main thread for every 4 KiB (as git-blobs.c does). */
    if ((size_t)got < SHORT_READ) nanosleep(&(struct timespec){0, FILL_WAIT_NS}, NULL);
  }
  /* git ends the last commit's name without a NUL when no entry follows it. */
  if (r->error == 0 && end > start) take_token(r, buffer + start, end - start);
  free(buffer);
  close(r->fd);
  if (r->error == 0) hand_over(&r->sink, &r->batch);
  free_batch(r->batch);
  r->batch = NULL;
  napi_release_threadsafe_function(r->sink.tsfn, napi_tsfn_release);
  return NULL;
}

static void finish_log(napi_env env, void *data, void *hint) {
  (void)hint;
  log_reader_t *r = data;
  settle(env, &r->sink, r->error ? strerror(r->error) : NULL, NULL);
  set_free(&r->paths);
  set_free(&r->blobs);
  set_free(&r->seen);
  free(r);
}

static napi_value read_log(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise;
  int32_t fd;
  log_reader_t *r = calloc(1, sizeof(log_reader_t));
  if (r == NULL) {
    napi_throw_error(env, NULL, "git-log: out of memory");
    return NULL;
  }
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    free(r);
    napi_throw_error(env, NULL, "git-log: bad arguments");
    return NULL;
  }
  r->fd = fd;
  r->sink.fields = LOG_FIELDS;
  if (!start_reader(env, argv[1], "neevscan:git-log", QUEUE, &r->sink, r, finish_log, run_log, fd, &r->error, &promise)) {
    free(r);
    napi_throw_error(env, NULL, "git-log: bad arguments");
    return NULL;
  }
  return promise;
}

napi_value git_log_init(napi_env env, napi_value exports) {
  return export_function(env, exports, "readLog", read_log) ? exports : NULL;
}
