/*
 * The `scan --git` pack reader: reads every blob of a repository's pack
 * files itself, without git, on threads of its own, and passes each to the
 * same keyword filter and batches as the `git cat-file` reader (blob-batch.h).
 *
 * Why: through `git cat-file --batch`, git rebuilds each version from a base
 * it may have dropped from its cache, writes every byte into a pipe, and the
 * reader copies it out again; on a real history that ran at ~325 MB/s on two
 * cores before neevscan looked at a byte. Here each pack is read as `git
 * index-pack` reads one: every delta hangs under its base, and a depth-first
 * walk from each whole object inflates each object once and rebuilds each
 * version from its base while the base is still in memory. Only blobs are
 * rebuilt (git never deltas one type against another).
 *
 *   readPacks(packs: string[], keywords: Buffer[], { maxSize, tails?, threads? }, onBatch) → Promise<Float64Array[]>
 *     packs: paths of .pack files, each with its version-2 .idx beside it (SHA-1 repositories only);
 *     onBatch: as readBlobs' (blob-batch.h), names in hex;
 *     per pack, once every batch is delivered: sizes in the .idx's order (empty for a pack it could not open): a
 *     blob's size where it was read (scanned, counted clean, or reported over maxSize), -1 where it was not (not
 *     a blob; a base outside this pack; damage). What is -1 or in no pack is git's to read.
 *
 * Nothing here trusts the pack: every header, offset, size and delta copy is checked against the mapped file
 * and the sizes the pack claims; an object that fails is left at -1 (and so are the versions built on it), and
 * git, reading it next, says what is wrong.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "blob-batch.h"
#include "exports.h"
#include "git-packs.h"

#define QUEUE 8
#define BATCH_BYTES (4 * 1024 * 1024)
#define BATCH_RECORDS 4096
#define MAX_THREADS 8
#define MAX_CHAIN 100000 /* longer than any real delta chain (git's own limit is 4095): a cycle in a damaged pack */
#define HASH 20
/* Larger objects, and versions whose bases hold more than MAX_HELD in all, are left to git (as a damaged one is):
 * a pack from an untrusted repository may claim any size, or stack big versions deep. */
#define MAX_OBJECT ((uint64_t)1 << 30)
#define MAX_HELD ((uint64_t)2 << 30)

enum { OBJ_COMMIT = 1, OBJ_TREE = 2, OBJ_BLOB = 3, OBJ_TAG = 4, OBJ_OFS_DELTA = 6, OBJ_REF_DELTA = 7 };

typedef struct {
  char *path;
  const unsigned char *pack, *idx;
  size_t pack_size, idx_size;
  uint32_t n;
  const unsigned char *names; /* in the .idx: n × HASH, sorted */
  /* By position, objects in pack order (offset ascending): */
  uint64_t *offset;
  uint32_t *index_of; /* position → .idx index */
  uint64_t *length;   /* the object's inflated length (for a delta, the delta's) */
  uint64_t *data;     /* where its zlib stream starts */
  int64_t *base;      /* base position; -1 none */
  uint8_t *type;      /* OBJ_* of the whole object, a delta's that of its chain's root; 0 unknown */
  uint32_t *child_start, *children; /* each blob's deltas: children[child_start[p] .. child_start[p + 1]) */
  uint32_t *roots;                  /* whole blobs, in pack order */
  uint32_t root_count;
  double *sizes; /* by .idx index: the result */
} pack_t;

typedef struct reader reader_t;

typedef struct {
  reader_t *r;
  z_stream z;
  int z_ready;
  batch_t *batch;
  struct timespec sent;
  int error;
} worker_t;

struct reader {
  sink_t sink; /* the tsfn's context */
  keyword_set_t keywords;
  double max_size;
  pack_t *packs;
  uint32_t pack_count;
  int threads;
  pthread_mutex_t lock; /* guards next_pack, next_root */
  uint32_t next_pack, next_root;
  int error;
};

/* ---- reading the .idx and the pack's object headers ---- */

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static const unsigned char *map_file(const char *path, size_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  void *mapped = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0) mapped = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (mapped == MAP_FAILED) return NULL;
  *size = (size_t)st.st_size;
  return mapped;
}

/* The .idx index of `name`, or -1. */
static int64_t find_name(const pack_t *p, const unsigned char *name) {
  const unsigned char *fanout = p->idx + 8;
  uint32_t low = name[0] == 0 ? 0 : be32(fanout + 4 * (name[0] - 1)), high = be32(fanout + 4 * name[0]);
  while (low < high) {
    uint32_t mid = low + (high - low) / 2;
    int order = memcmp(p->names + (size_t)mid * HASH, name, HASH);
    if (order == 0) return mid;
    if (order < 0)
      low = mid + 1;
    else
      high = mid;
  }
  return -1;
}

/* The position of the object at `offset`, or -1. */
static int64_t find_offset(const pack_t *p, uint64_t offset) {
  uint32_t low = 0, high = p->n;
  while (low < high) {
    uint32_t mid = low + (high - low) / 2;
    if (p->offset[mid] == offset) return mid;
    if (p->offset[mid] < offset)
      low = mid + 1;
    else
      high = mid;
  }
  return -1;
}

typedef struct {
  uint64_t offset;
  uint32_t index;
} placed_t;

static int by_offset(const void *a, const void *b) {
  uint64_t x = ((const placed_t *)a)->offset, y = ((const placed_t *)b)->offset;
  return x < y ? -1 : x > y;
}

/* Maps a pack and its .idx and lists its blobs' delta trees; 0 when it cannot (then git reads all of it). */
static int open_pack(pack_t *p) {
  size_t path_length = strlen(p->path);
  if (path_length < 5 || strcmp(p->path + path_length - 5, ".pack") != 0) return 0;
  char *idx_path = malloc(path_length + 1);
  if (idx_path == NULL) return 0;
  memcpy(idx_path, p->path, path_length - 5);
  strcpy(idx_path + path_length - 5, ".idx");
  p->idx = map_file(idx_path, &p->idx_size);
  free(idx_path);
  p->pack = map_file(p->path, &p->pack_size);
  if (p->idx == NULL || p->pack == NULL) return 0;
  /* Version 2: magic, version, 256 fan-out counts, names, CRCs, 32-bit offsets, 64-bit offsets, two checksums. */
  if (p->idx_size < 8 + 1024 + 2 * HASH || memcmp(p->idx, "\377tOc", 4) != 0 || be32(p->idx + 4) != 2) return 0;
  if (p->pack_size < 12 + HASH || memcmp(p->pack, "PACK", 4) != 0) return 0;
  uint32_t n = be32(p->idx + 8 + 4 * 255);
  size_t small = 8 + 1024 + (size_t)n * (HASH + 4 + 4);
  if (p->idx_size < small + 2 * HASH || be32(p->pack + 8) != n) return 0;
  /* The fan-out must climb to n: the name search trusts it. */
  for (int i = 1; i < 256; i++)
    if (be32(p->idx + 8 + 4 * i) < be32(p->idx + 8 + 4 * (i - 1))) return 0;
  size_t large_count = (p->idx_size - small - 2 * HASH) / 8;
  p->n = n;
  p->names = p->idx + 8 + 1024;
  const unsigned char *offsets32 = p->names + (size_t)n * (HASH + 4), *offsets64 = p->idx + small;

  placed_t *placed = malloc(((size_t)n + 1) * sizeof(placed_t));
  p->offset = malloc(((size_t)n + 1) * sizeof(uint64_t));
  p->index_of = malloc(((size_t)n + 1) * sizeof(uint32_t));
  p->length = calloc((size_t)n + 1, sizeof(uint64_t));
  p->data = calloc((size_t)n + 1, sizeof(uint64_t));
  p->base = malloc(((size_t)n + 1) * sizeof(int64_t));
  p->type = calloc((size_t)n + 1, 1);
  p->sizes = malloc(((size_t)n + 1) * sizeof(double));
  p->child_start = calloc((size_t)n + 2, sizeof(uint32_t));
  if (!placed || !p->offset || !p->index_of || !p->length || !p->data || !p->base || !p->type || !p->sizes || !p->child_start) {
    free(placed);
    return 0;
  }
  for (uint32_t i = 0; i < n; i++) p->sizes[i] = -1;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t offset = be32(offsets32 + 4 * (size_t)i);
    if (offset & 0x80000000u) {
      uint64_t at = offset & 0x7fffffffu;
      if (at >= large_count) {
        free(placed);
        return 0;
      }
      offset = (uint64_t)be32(offsets64 + 8 * at) << 32 | be32(offsets64 + 8 * at + 4);
    }
    placed[i] = (placed_t){offset, i};
  }
  qsort(placed, n, sizeof(placed_t), by_offset);
  for (uint32_t i = 0; i < n; i++) {
    p->offset[i] = placed[i].offset;
    p->index_of[i] = placed[i].index;
  }
  free(placed);

  /* Each object's header: type and length (a varint), then a delta's base (a back offset, or a name). */
  uint64_t end_of_objects = p->pack_size - HASH;
  for (uint32_t pos = 0; pos < n; pos++) {
    p->base[pos] = -1;
    uint64_t at = p->offset[pos], end = pos + 1 < n ? p->offset[pos + 1] : end_of_objects;
    if (at < 12 || end > end_of_objects || at >= end) continue; /* type stays 0: unreadable */
    unsigned char c = p->pack[at++];
    int type = (c >> 4) & 7;
    uint64_t length = c & 15;
    for (int shift = 4; c & 0x80; shift += 7) {
      if (at >= end || shift > 57) goto damaged;
      c = p->pack[at++];
      length |= (uint64_t)(c & 0x7f) << shift;
    }
    p->length[pos] = length;
    if (type == OBJ_OFS_DELTA) {
      if (at >= end) goto damaged;
      c = p->pack[at++];
      uint64_t back = c & 0x7f;
      while (c & 0x80) {
        if (at >= end || back > (UINT64_MAX >> 8)) goto damaged;
        c = p->pack[at++];
        back = ((back + 1) << 7) | (c & 0x7f);
      }
      if (back == 0 || back > p->offset[pos]) goto damaged;
      p->base[pos] = find_offset(p, p->offset[pos] - back);
    } else if (type == OBJ_REF_DELTA) {
      if (end - at < HASH) goto damaged;
      int64_t index = find_name(p, p->pack + at);
      at += HASH;
      /* A base in another pack (a thin pack's, or a damaged one): the delta is git's to read. */
      if (index >= 0) {
        p->base[pos] = -2 - index; /* an .idx index for now: its position is known once all are placed */
      }
    } else if (type >= OBJ_COMMIT && type <= OBJ_TAG) {
      p->type[pos] = (uint8_t)type;
    }
    if ((type == OBJ_OFS_DELTA || type == OBJ_REF_DELTA) && p->base[pos] == -1) goto damaged;
    p->data[pos] = at;
    continue;
  damaged:
    p->base[pos] = -1;
    p->type[pos] = 0;
  }
  /* REF_DELTA bases by position: .idx index → position. */
  uint32_t *position_of = malloc(((size_t)n + 1) * sizeof(uint32_t));
  if (position_of == NULL) return 0;
  for (uint32_t pos = 0; pos < n; pos++) position_of[p->index_of[pos]] = pos;
  for (uint32_t pos = 0; pos < n; pos++)
    if (p->base[pos] <= -2) p->base[pos] = position_of[-2 - p->base[pos]];
  free(position_of);

  /* Each delta's type is its chain root's; a chain that loops or ends in nothing readable stays 0. */
  for (uint32_t pos = 0; pos < n; pos++) {
    if (p->type[pos] != 0 || p->base[pos] < 0) continue;
    int64_t at = pos;
    uint32_t steps = 0;
    while (at >= 0 && p->type[at] == 0 && p->base[at] >= 0 && steps++ < MAX_CHAIN) at = p->base[at];
    uint8_t type = at >= 0 && p->type[at] != 0 ? p->type[at] : 0;
    if (type == 0) type = 0xff; /* unusable: marked so the walk below is not repeated */
    for (int64_t on = pos; on >= 0 && p->type[on] == 0; on = p->base[on]) p->type[on] = type;
  }
  /* The delta trees of blobs: children by base, and the whole blobs as roots. */
  uint32_t child_count = 0;
  for (uint32_t pos = 0; pos < n; pos++) {
    if (p->type[pos] != OBJ_BLOB) continue;
    if (p->base[pos] >= 0) {
      p->child_start[p->base[pos] + 1]++;
      child_count++;
    } else {
      p->root_count++;
    }
  }
  for (uint32_t pos = 0; pos < n; pos++) p->child_start[pos + 1] += p->child_start[pos];
  p->children = malloc(((size_t)child_count + 1) * sizeof(uint32_t));
  p->roots = malloc(((size_t)p->root_count + 1) * sizeof(uint32_t));
  uint32_t *fill = malloc(((size_t)n + 1) * sizeof(uint32_t));
  if (p->children == NULL || p->roots == NULL || fill == NULL) {
    free(fill);
    p->root_count = 0;
    return 0;
  }
  memcpy(fill, p->child_start, (size_t)n * sizeof(uint32_t));
  uint32_t roots = 0;
  for (uint32_t pos = 0; pos < n; pos++) {
    if (p->type[pos] != OBJ_BLOB) continue;
    if (p->base[pos] >= 0)
      p->children[fill[p->base[pos]]++] = pos;
    else
      p->roots[roots++] = pos;
  }
  free(fill);
  return 1;
}

static void close_pack(pack_t *p) {
  if (p->pack) munmap((void *)p->pack, p->pack_size);
  if (p->idx) munmap((void *)p->idx, p->idx_size);
  free(p->path);
  free(p->offset);
  free(p->index_of);
  free(p->length);
  free(p->data);
  free(p->base);
  free(p->type);
  free(p->child_start);
  free(p->children);
  free(p->roots);
  free(p->sizes);
}

/* ---- rebuilding blobs ---- */

/* A reused buffer grown to hold `needed` bytes: each new malloc of a blob's size was a fresh mapping to fault in. */
typedef struct {
  unsigned char *bytes;
  size_t capacity;
} buffer_t;

/* Buffers kept between blobs up to this size; a larger one is given back once its tree is done. */
#define KEEP_BUFFER (16 * 1024 * 1024)

static int reserve(worker_t *w, buffer_t *buffer, uint64_t needed) {
  if (needed <= buffer->capacity) return 1;
  if (needed > SIZE_MAX / 2) return 0;
  size_t capacity = buffer->capacity * 2 > needed ? buffer->capacity * 2 : (size_t)needed;
  free(buffer->bytes); /* contents need not survive */
  buffer->bytes = malloc(capacity);
  buffer->capacity = buffer->bytes ? capacity : 0;
  if (buffer->bytes == NULL) w->error = ENOMEM;
  return buffer->bytes != NULL;
}

/* The object at `pos` inflated into `out`, exactly its length; 0 when damaged (or out of memory). */
static int inflate_object(worker_t *w, const pack_t *p, uint32_t pos, buffer_t *out) {
  uint64_t length = p->length[pos];
  uint64_t end = pos + 1 < p->n ? p->offset[pos + 1] : p->pack_size - HASH;
  if (length > MAX_OBJECT) return 0;
  if (!reserve(w, out, length + 1)) return 0;
  if (!w->z_ready) {
    memset(&w->z, 0, sizeof(w->z));
    if (inflateInit(&w->z) != Z_OK) {
      w->error = ENOMEM;
      return 0;
    }
    w->z_ready = 1;
  } else if (inflateReset(&w->z) != Z_OK) {
    return 0;
  }
  uint64_t available = end - p->data[pos];
  w->z.next_in = (unsigned char *)p->pack + p->data[pos];
  w->z.avail_in = available > UINT32_MAX ? UINT32_MAX : (uInt)available;
  w->z.next_out = out->bytes;
  w->z.avail_out = (uInt)length + 1; /* one byte more than claimed: a stream longer than its header is damage */
  return inflate(&w->z, Z_FINISH) == Z_STREAM_END && w->z.total_out == length;
}

static int read_varint(const unsigned char **at, const unsigned char *end, uint64_t *value) {
  *value = 0;
  for (int shift = 0; *at < end && shift < 64; shift += 7) {
    unsigned char c = *(*at)++;
    *value |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) return 1;
  }
  return 0;
}

/* A version rebuilt into `out` from its base and a delta (git's format: copy from the base, or insert); 0 if damaged. */
static int apply_delta(worker_t *w, const unsigned char *base, uint64_t base_length, const unsigned char *delta, uint64_t delta_length,
                       buffer_t *out, uint64_t *length) {
  const unsigned char *at = delta, *end = delta + delta_length;
  uint64_t claimed_base, size;
  if (!read_varint(&at, end, &claimed_base) || claimed_base != base_length || !read_varint(&at, end, &size) || size > MAX_OBJECT)
    return 0;
  if (!reserve(w, out, size + 1)) return 0;
  unsigned char *bytes = out->bytes;
  uint64_t written = 0;
  while (at < end) {
    unsigned char op = *at++;
    if (op & 0x80) {
      uint64_t from = 0, count = 0;
      for (int i = 0; i < 4; i++)
        if (op & (1 << i)) {
          if (at >= end) return 0;
          from |= (uint64_t)*at++ << (8 * i);
        }
      for (int i = 0; i < 3; i++)
        if (op & (0x10 << i)) {
          if (at >= end) return 0;
          count |= (uint64_t)*at++ << (8 * i);
        }
      if (count == 0) count = 0x10000;
      if (from > base_length || count > base_length - from || count > size - written) return 0;
      memcpy(bytes + written, base + from, (size_t)count);
      written += count;
    } else if (op != 0) {
      if (op > end - at || op > size - written) return 0;
      memcpy(bytes + written, at, op);
      at += op;
      written += op;
    } else {
      return 0; /* reserved */
    }
  }
  *length = size;
  return written == size;
}

static void send_batch(worker_t *w) {
  if (w->batch == NULL) return;
  hand_over(&w->r->sink, &w->batch);
  clock_gettime(CLOCK_MONOTONIC, &w->sent);
}

/* One blob rebuilt: over the limit, with a keyword (to JavaScript), or clean (counted); its size recorded. */
static void take_blob(worker_t *w, pack_t *p, uint32_t pos, const unsigned char *content, uint64_t length) {
  static const char digits[] = "0123456789abcdef";
  uint32_t index = p->index_of[pos];
  const unsigned char *name = p->names + (size_t)index * HASH;
  unsigned char hex[2 * HASH];
  for (int i = 0; i < HASH; i++) {
    hex[2 * i] = (unsigned char)digits[name[i] >> 4];
    hex[2 * i + 1] = (unsigned char)digits[name[i] & 15];
  }
  reader_t *r = w->r;
  if (r->max_size > 0 && (double)length > r->max_size)
    w->error = add_record(&w->batch, KIND_TOO_LARGE, hex, sizeof(hex), NULL, (size_t)length);
  else if (needs_engine(&r->keywords, content, (size_t)length))
    w->error = add_record(&w->batch, KIND_BLOB, hex, sizeof(hex), content, (size_t)length);
  else
    w->error = count_clean(&w->batch, (size_t)length);
  if (w->error != 0) return;
  p->sizes[index] = (double)length;
  if (w->batch->length >= BATCH_BYTES || w->batch->count >= BATCH_RECORDS) {
    send_batch(w);
  } else if (w->batch->count == 0 && counts_due(&w->sent)) {
    send_batch(w);
  }
}

typedef struct {
  uint32_t pos, next; /* the object, and its next delta to rebuild */
  buffer_t content;
  uint64_t length;
} frame_t;

typedef struct {
  frame_t *frames; /* frames[depth] keeps its buffer between trees */
  size_t capacity;
  buffer_t delta;
} stack_t;

/* The frame at `depth`, made (with an empty buffer) the first time a tree is that deep. */
static frame_t *frame_at(worker_t *w, stack_t *stack, size_t depth) {
  if (depth == stack->capacity) {
    size_t capacity = stack->capacity ? stack->capacity * 2 : 64;
    frame_t *grown = realloc(stack->frames, capacity * sizeof(frame_t));
    if (grown == NULL) {
      w->error = ENOMEM;
      return NULL;
    }
    memset(grown + stack->capacity, 0, (capacity - stack->capacity) * sizeof(frame_t));
    stack->frames = grown;
    stack->capacity = capacity;
  }
  return &stack->frames[depth];
}

/*
 * A whole blob and every version built on it, depth first: each base is in memory while its deltas are applied.
 * A version is rebuilt into the frame above its base; once the base's last delta is applied, the two frames swap
 * buffers, so a long run of versions (each the base of the next) stays two frames deep.
 */
static void walk_tree(worker_t *w, pack_t *p, uint32_t root, stack_t *stack) {
  frame_t *top = frame_at(w, stack, 0);
  if (top == NULL || !inflate_object(w, p, root, &top->content)) return;
  top->pos = root;
  top->next = p->child_start[root];
  top->length = p->length[root];
  take_blob(w, p, root, top->content.bytes, top->length);
  size_t depth = 1;
  uint64_t held = top->length; /* the versions on the stack: bases still to rebuild from */
  while (depth > 0 && w->error == 0) {
    top = &stack->frames[depth - 1];
    if (top->next == p->child_start[top->pos + 1]) {
      held -= top->length;
      depth--;
      continue;
    }
    uint32_t child = p->children[top->next++];
    if (!inflate_object(w, p, child, &stack->delta)) continue; /* this version and those built on it stay git's to read */
    frame_t *above = frame_at(w, stack, depth);
    if (above == NULL) break;
    top = &stack->frames[depth - 1]; /* frame_at may have moved the frames */
    if (!apply_delta(w, top->content.bytes, top->length, stack->delta.bytes, p->length[child], &above->content, &above->length)) continue;
    if (held + above->length > MAX_HELD) continue; /* git's to read, with the versions built on it */
    above->pos = child;
    above->next = p->child_start[child];
    take_blob(w, p, child, above->content.bytes, above->length);
    held += above->length;
    if (top->next == p->child_start[top->pos + 1]) {
      /* The base is done: the version takes its place. */
      held -= top->length;
      frame_t done = *top;
      *top = *above;
      *above = done;
    } else {
      depth++;
    }
  }
  for (size_t i = 0; i < stack->capacity; i++) {
    if (stack->frames[i].content.capacity > KEEP_BUFFER) {
      free(stack->frames[i].content.bytes);
      stack->frames[i].content = (buffer_t){NULL, 0};
    }
  }
  if (stack->delta.capacity > KEEP_BUFFER) {
    free(stack->delta.bytes);
    stack->delta = (buffer_t){NULL, 0};
  }
}

/* The next root to walk, from any pack; 0 when none is left. */
static int next_root(reader_t *r, pack_t **pack, uint32_t *root) {
  pthread_mutex_lock(&r->lock);
  while (r->next_pack < r->pack_count && r->next_root >= r->packs[r->next_pack].root_count) {
    r->next_pack++;
    r->next_root = 0;
  }
  int found = r->next_pack < r->pack_count && r->error == 0;
  if (found) {
    *pack = &r->packs[r->next_pack];
    *root = (*pack)->roots[r->next_root++];
  }
  pthread_mutex_unlock(&r->lock);
  return found;
}

static void *work(void *arg) {
  worker_t *w = arg;
  reader_t *r = w->r;
  clock_gettime(CLOCK_MONOTONIC, &w->sent);
  stack_t stack = {NULL, 0, {NULL, 0}};
  pack_t *pack;
  uint32_t root;
  while (w->error == 0 && next_root(r, &pack, &root)) walk_tree(w, pack, root, &stack);
  for (size_t i = 0; i < stack.capacity; i++) free(stack.frames[i].content.bytes);
  free(stack.frames);
  free(stack.delta.bytes);
  if (w->error == 0) send_batch(w);
  free_batch(w->batch);
  w->batch = NULL;
  if (w->z_ready) inflateEnd(&w->z);
  if (w->error != 0) {
    pthread_mutex_lock(&r->lock);
    if (r->error == 0) r->error = w->error;
    pthread_mutex_unlock(&r->lock);
  }
  return NULL;
}

/* The reader's own thread: opens the packs, walks them on `threads` threads (itself one), then lets the promise settle. */
static void *run(void *arg) {
  reader_t *r = arg;
  pthread_setname_np(pthread_self(), "neevscan-pack");
  for (uint32_t i = 0; i < r->pack_count; i++)
    if (!open_pack(&r->packs[i])) r->packs[i].root_count = 0; /* its sizes stay -1: git reads it */
  worker_t workers[MAX_THREADS];
  pthread_t threads[MAX_THREADS];
  int started = 0;
  for (int i = 0; i < r->threads; i++) workers[i] = (worker_t){.r = r};
  for (int i = 1; i < r->threads; i++) {
    if (pthread_create(&threads[i], NULL, work, &workers[i]) != 0) break;
    started = i;
  }
  work(&workers[0]);
  for (int i = 1; i <= started; i++) pthread_join(threads[i], NULL);
  napi_release_threadsafe_function(r->sink.tsfn, napi_tsfn_release);
  return NULL;
}

/* On the main thread, once every thread is done and every batch delivered: each pack's sizes. */
static void finish(napi_env env, void *data, void *hint) {
  (void)hint;
  reader_t *r = data;
  napi_value result = NULL, sizes, array_buffer;
  void *bytes;
  int ok = r->error == 0 && napi_create_array_with_length(env, r->pack_count, &result) == napi_ok;
  for (uint32_t i = 0; ok && i < r->pack_count; i++) {
    pack_t *p = &r->packs[i];
    uint32_t n = p->sizes != NULL ? p->n : 0;
    ok = napi_create_arraybuffer(env, (size_t)n * sizeof(double), &bytes, &array_buffer) == napi_ok &&
         napi_create_typedarray(env, napi_float64_array, n, array_buffer, 0, &sizes) == napi_ok &&
         napi_set_element(env, result, i, sizes) == napi_ok;
    if (ok && n > 0) memcpy(bytes, p->sizes, (size_t)n * sizeof(double));
  }
  settle(env, &r->sink, r->error ? strerror(r->error) : ok ? NULL : "git pack reader failed", result);
  for (uint32_t i = 0; i < r->pack_count; i++) close_pack(&r->packs[i]);
  free(r->packs);
  free_keyword_set(&r->keywords);
  pthread_mutex_destroy(&r->lock);
  free(r);
}

static int read_paths(napi_env env, napi_value list, reader_t *r) {
  uint32_t count;
  if (napi_get_array_length(env, list, &count) != napi_ok) return 0;
  r->packs = calloc(count + 1, sizeof(pack_t));
  if (r->packs == NULL) return 0;
  r->pack_count = count;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    size_t length;
    if (napi_get_element(env, list, i, &element) != napi_ok || napi_get_value_string_utf8(env, element, NULL, 0, &length) != napi_ok) return 0;
    r->packs[i].path = malloc(length + 1);
    if (r->packs[i].path == NULL || napi_get_value_string_utf8(env, element, r->packs[i].path, length + 1, &length) != napi_ok) return 0;
  }
  return 1;
}

static napi_value read_packs(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], promise;
  reader_t *r = calloc(1, sizeof(reader_t));
  if (r == NULL) {
    napi_throw_error(env, NULL, "git-packs: out of memory");
    return NULL;
  }
  pthread_mutex_init(&r->lock, NULL);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || !read_paths(env, argv[0], r) ||
      !read_keyword_set(env, argv[1], argv[2], &r->keywords))
    goto fail;
  r->max_size = number_option(env, argv[2], "maxSize", 0);
  double threads = number_option(env, argv[2], "threads", 2);
  r->threads = !(threads >= 1) ? 1 : threads > MAX_THREADS ? MAX_THREADS : (int)threads;
  if (!start_reader(env, argv[3], "neevscan:git-packs", QUEUE, &r->sink, r, finish, run, -1, &r->error, &promise)) goto fail;
  return promise;
fail:
  for (uint32_t i = 0; i < r->pack_count; i++) free(r->packs[i].path);
  free(r->packs);
  free_keyword_set(&r->keywords);
  pthread_mutex_destroy(&r->lock);
  free(r);
  napi_throw_error(env, NULL, "git-packs: bad arguments");
  return NULL;
}

napi_value git_packs_init(napi_env env, napi_value exports) {
  return export_function(env, exports, "readPacks", read_packs) ? exports : NULL;
}
