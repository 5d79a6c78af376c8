/*
 * Keyword search shared by the native pre-filters (the folder scan's and the
 * `scan --git` blob reader's): the same answer as the JavaScript engine's
 * pre-filter (src/scanner/prefilter.ts), a keyword found from its rarest byte.
 */
#ifndef NEEVSCAN_KEYWORDS_H
#define NEEVSCAN_KEYWORDS_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
  const unsigned char *bytes;
  size_t length;
  size_t anchor; /* offset of the rarest byte, searched with memchr */
  /*
   * Bytes of tail_set that must follow the keyword for any rule to match there (0: none asked): a rule whose whole
   * pattern is the keyword then `[set]{N}` (src/sources/native-prefilter.ts, keywordTails) cannot match a keyword
   * followed by less. `neev_region` is then no reason to hand a file to the engine.
   */
  size_t tail;
  unsigned char tail_set[32];
} keyword_t;

/*
 * Reads options.tails (one Buffer per keyword: [N, then a 32-byte bit set of the bytes allowed], or empty for none)
 * into the keywords. Missing or malformed: no tail, which only makes the filter pass more files to the engine.
 */
static inline void read_tails(napi_env env, napi_value options, keyword_t *keywords, size_t count) {
  napi_value tails, element;
  bool is_array = false;
  if (napi_get_named_property(env, options, "tails", &tails) != napi_ok || napi_is_array(env, tails, &is_array) != napi_ok ||
      !is_array)
    return;
  for (size_t i = 0; i < count; i++) {
    void *data;
    size_t length;
    if (napi_get_element(env, tails, (uint32_t)i, &element) != napi_ok || napi_get_buffer_info(env, element, &data, &length) != napi_ok ||
        length != 33)
      continue;
    const unsigned char *spec = data;
    keywords[i].tail = spec[0];
    memcpy(keywords[i].tail_set, spec + 1, 32);
  }
}

/* Whether the keyword's tail (if it has one) follows at `at`, before `end`. */
static inline int tail_follows(const unsigned char *at, const unsigned char *end, const keyword_t *k) {
  if ((size_t)(end - at) < k->tail) return 0;
  for (size_t i = 0; i < k->tail; i++)
    if (!(k->tail_set[at[i] >> 3] & (1u << (at[i] & 7)))) return 0;
  return 1;
}

/* Bytes from most to least common in source code and prose, as src/scanner/prefilter.ts ranks them. */
static const char COMMON[] =
    " etaoinsrlcdhupmf\n_g.ybw(),=;\"'\t/-:xvk{}[]>#<*jqzSECTIDARNOLPMFBUGHWVKYJXQZ0123456789";

static inline size_t rarity(unsigned char byte) {
  const char *at = byte == 0 ? NULL : strchr(COMMON, byte);
  return at == NULL ? sizeof(COMMON) - 1 : (size_t)(at - COMMON);
}

static inline size_t pick_anchor(const unsigned char *keyword, size_t length) {
  size_t anchor = 0;
  size_t last = length >= 2 ? length - 2 : 0;
  for (size_t i = 1; i <= last; i++)
    if (rarity(keyword[i]) > rarity(keyword[anchor])) anchor = i;
  return anchor;
}

/*
 * Whether the keyword, followed by its tail, occurs in bytes[0, length). memchr
 * on the rarest byte is fast while that byte is rare; where it is not (dense
 * logs full of `_` and `v`), glibc's memmem, which does not depend on any one
 * byte, takes over.
 */
static inline int contains(const unsigned char *bytes, size_t length, const keyword_t *k) {
  if (k->length == 0) return 1;
  if (length < k->length) return 0;
  const unsigned char *end = bytes + length;
  const unsigned char anchor_byte = k->bytes[k->anchor];
  const unsigned char *at = bytes + k->anchor;
  const unsigned char *limit = end - (k->length - k->anchor); /* last place the anchor can be */
  size_t candidates = 0;
  while (at <= limit) {
    const unsigned char *found = memchr(at, anchor_byte, (size_t)(limit - at) + 1);
    if (found == NULL) return 0;
    const unsigned char *start = found - k->anchor;
    if (memcmp(start, k->bytes, k->length) == 0 && tail_follows(start + k->length, end, k)) return 1;
    at = found + 1;
    /* More than one false candidate per 64 bytes: hand the rest to memmem. */
    if (++candidates > 64 && (size_t)(at - bytes) < candidates * 64) {
      for (const unsigned char *from = start + 1; from < end;) {
        const unsigned char *hit = memmem(from, (size_t)(end - from), k->bytes, k->length);
        if (hit == NULL) return 0;
        if (tail_follows(hit + k->length, end, k)) return 1;
        from = hit + 1;
      }
      return 0;
    }
  }
  return 0;
}

#endif
