/*
 * The `scan --git` blob reader: takes a `git cat-file --batch` process's
 * output apart on a thread of its own, reading the pipe through one reused
 * buffer, and answers there for every blob without any rule keyword (counted,
 * never handed over). Only blobs with a keyword or a UTF-16 byte-order mark
 * (the JavaScript engine scans those as before), names git reports missing and
 * blobs over the size limit reach JavaScript, a batch at a time. In Node each
 * blob cost a 'data' event, a fresh 64 KiB buffer per read and a parse: more
 * CPU than git's own inflation, and all on the one thread.
 *
 *   pipe() → [readFd, writeFd]: a pipe for git's stdout (close-on-exec, 1 MiB where the kernel allows)
 *   readBlobs(readFd, keywords: Buffer[], { maxSize, tails? }, onBatch) → Promise<void>, settled after the last batch
 *     (tails: what must follow each keyword, keywords.h)
 *     onBatch(data: Buffer, records: Float64Array, files: number, bytes: number)
 *       records: FIELDS numbers each: kind (0 a blob to scan, 1 missing, 2 over maxSize), name start and length
 *       in data, content start in data, size; files, bytes: the blobs passed over as clean since the last batch.
 * readBlobs owns readFd from then on and closes it at the end of git's output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "git-blobs.h"
#include "blob-batch.h"
#include "exports.h"

#define READ_SIZE (1024 * 1024)
#define PIPE_SIZE (1024 * 1024)
#define BATCH_BYTES (4 * 1024 * 1024)
#define BATCH_RECORDS 4096
#define MIN_PIPE_TO_WAIT (512 * 1024)
#define FILL_WAIT_NS (1000 * 1000)
#define QUEUE 8                            /* batches waiting for the main thread before the reader waits */

typedef struct {
  sink_t sink; /* the tsfn's context */
  int fd;
  keyword_set_t keywords;
  double max_size; /* 0: no limit */
  int error;       /* errno of a failed read or allocation (the reader's thread) */
  batch_t *batch;
  struct timespec sent;
} reader_t;

/* Hands the batch to the main thread (waiting while QUEUE batches are already waiting there). */
static void send_batch(reader_t *r) {
  if (r->batch == NULL) return;
  hand_over(&r->sink, &r->batch);
  clock_gettime(CLOCK_MONOTONIC, &r->sent);
}

/* Records go out as soon as a read's worth is parsed (few blobs have a keyword); counts alone now and then. */
static void maybe_send(reader_t *r) {
  if (r->batch == NULL || (r->batch->count == 0 && !counts_due(&r->sent))) return;
  send_batch(r);
}

/* The decimal number in [from, to), or -1 when it is not one. */
static int64_t parse_size(const unsigned char *from, const unsigned char *to) {
  if (from >= to || to - from > 18) return -1;
  int64_t size = 0;
  for (; from < to; from++) {
    if (*from < '0' || *from > '9') return -1;
    size = size * 10 + (*from - '0');
  }
  return size;
}

/*
 * Parses the records in buffer[*start, end): "<name> <type> <size>\n<content>\n", or "<name> missing\n" (anything
 * without a size). Returns the bytes a record cut by `end` needs in all (0: none cut, or only its header is).
 * *discard: bytes of a record not kept (not a blob, over the limit), its newline included, still to pass over.
 */
static size_t parse(reader_t *r, unsigned char *buffer, size_t *start, size_t end, size_t *discard) {
  for (;;) {
    if (*discard > 0) {
      size_t skip = *discard < end - *start ? *discard : end - *start;
      *start += skip;
      *discard -= skip;
      if (*discard > 0) return 0;
    }
    unsigned char *header = buffer + *start;
    unsigned char *newline = memchr(header, '\n', end - *start);
    if (newline == NULL) return 0;
    unsigned char *space = memchr(header, ' ', (size_t)(newline - header));
    size_t name_length = (size_t)((space ? space : newline) - header);
    int64_t size = -1;
    int blob = 0;
    if (space != NULL) {
      unsigned char *type = space + 1;
      unsigned char *type_end = memchr(type, ' ', (size_t)(newline - type));
      if (type_end != NULL) {
        size = parse_size(type_end + 1, newline);
        blob = type_end - type == 4 && memcmp(type, "blob", 4) == 0;
      }
    }
    size_t body = (size_t)(newline + 1 - buffer);
    if (size < 0) {
      if ((r->error = add_record(&r->batch, KIND_MISSING, header, name_length, NULL, 0)) != 0) return 0;
      *start = body;
      continue;
    }
    if (!blob || (r->max_size > 0 && (double)size > r->max_size)) {
      if (blob && (r->error = add_record(&r->batch, KIND_TOO_LARGE, header, name_length, NULL, (size_t)size)) != 0) return 0;
      *start = body;
      *discard = (size_t)size + 1;
      continue;
    }
    if (end - body < (size_t)size + 1) return body - *start + (size_t)size + 1;
    const unsigned char *content = buffer + body;
    r->error = needs_engine(&r->keywords, content, (size_t)size) ? add_record(&r->batch, KIND_BLOB, header, name_length, content, (size_t)size)
                                                      : count_clean(&r->batch, (size_t)size);
    if (r->error != 0) return 0;
    *start = body + (size_t)size + 1;
    if (r->batch->length >= BATCH_BYTES || r->batch->count >= BATCH_RECORDS) send_batch(r);
  }
}

static void *run(void *arg) {
  reader_t *r = arg;
  pthread_setname_np(pthread_self(), "neevscan-git");
  size_t capacity = READ_SIZE, start = 0, end = 0, discard = 0, needed = 0;
  unsigned char *buffer = malloc(capacity);
  if (buffer == NULL) r->error = ENOMEM;
  clock_gettime(CLOCK_MONOTONIC, &r->sent);
  /* Waiting for the pipe to fill only pays where it holds much more than git writes in that time (1 MiB: a few
   * hundred microseconds of git's output); with a default 64 KiB pipe git would stall instead. */
  int pipe_size = fcntl(r->fd, F_GETPIPE_SZ);
  int wait_to_fill = pipe_size >= MIN_PIPE_TO_WAIT;
  size_t short_read = pipe_size > 0 ? (size_t)pipe_size / 4 : 0;
  while (r->error == 0) {
    /* What is left of a cut record moves to the front; the buffer grows to hold a record bigger than it. */
    if (start > 0) {
      memmove(buffer, buffer + start, end - start);
      end -= start;
      start = 0;
    }
    if (needed > capacity || end == capacity) {
      size_t want = needed > capacity ? needed : capacity * 2;
      unsigned char *grown = realloc(buffer, want);
      if (grown == NULL) {
        r->error = ENOMEM;
        break;
      }
      buffer = grown;
      capacity = want;
    }
    ssize_t got = read(r->fd, buffer + end, capacity - end);
    if (got < 0) {
      if (errno == EINTR) continue;
      r->error = errno;
      break;
    }
    if (got == 0) break; /* git is done; a cut record at the end means it failed, which its exit status tells */
    end += (size_t)got;
    needed = parse(r, buffer, &start, end, &discard);
    if (r->error == 0) maybe_send(r);
    /*
     * A short read: git writes in small pieces, and each read that waits for one costs a wake-up of this thread
     * and of git's (dear on a virtual machine: more system time than the copying). Let the pipe fill a while.
     */
    if (wait_to_fill && (size_t)got < short_read) nanosleep(&(struct timespec){0, FILL_WAIT_NS}, NULL);
  }
  free(buffer);
  close(r->fd);
  if (r->error == 0) send_batch(r);
  free_batch(r->batch);
  r->batch = NULL;
  napi_release_threadsafe_function(r->sink.tsfn, napi_tsfn_release);
  return NULL;
}

/* On the main thread, once the reader's thread is done and every batch was delivered. */
static void finish(napi_env env, void *data, void *hint) {
  (void)hint;
  reader_t *r = data;
  settle(env, &r->sink, r->error ? strerror(r->error) : NULL, NULL);
  free_keyword_set(&r->keywords);
  free(r);
}

static napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  napi_value result, fd;
  if (pipe2(fds, O_CLOEXEC) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  /* A bigger pipe: git writes, and this side reads, in bigger pieces (fewer wake-ups). Best effort. */
  (void)fcntl(fds[0], F_SETPIPE_SZ, PIPE_SIZE);
  if (napi_create_array_with_length(env, 2, &result) != napi_ok) goto fail;
  for (uint32_t i = 0; i < 2; i++)
    if (napi_create_int32(env, fds[i], &fd) != napi_ok || napi_set_element(env, result, i, fd) != napi_ok) goto fail;
  return result;
fail:
  close(fds[0]);
  close(fds[1]);
  napi_throw_error(env, NULL, "git-blobs: pipe failed");
  return NULL;
}

static napi_value read_blobs(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], promise;
  int32_t fd;
  reader_t *r = calloc(1, sizeof(reader_t));
  if (r == NULL) {
    napi_throw_error(env, NULL, "git-blobs: out of memory");
    return NULL;
  }
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      !read_keyword_set(env, argv[1], argv[2], &r->keywords))
    goto fail;
  r->fd = fd;
  r->max_size = number_option(env, argv[2], "maxSize", 0);
  if (!start_reader(env, argv[3], "neevscan:git-blobs", QUEUE, &r->sink, r, finish, run, r->fd, &r->error, &promise)) goto fail;
  return promise;
fail:
  free_keyword_set(&r->keywords);
  free(r);
  napi_throw_error(env, NULL, "git-blobs: bad arguments");
  return NULL;
}

napi_value git_blobs_init(napi_env env, napi_value exports) {
  if (!export_function(env, exports, "pipe", make_pipe) || !export_function(env, exports, "readBlobs", read_blobs)) return NULL;
  return exports;
}
