/*
 * Keyword search shared by the native pre-filters (the folder scan's and the
 * `scan --git` blob reader's): the same answer as the JavaScript engine's
 * pre-filter (src/scanner/prefilter.ts), a keyword found from its rarest byte.
 */
#ifndef NEEVSCAN_KEYWORDS_H
#define NEEVSCAN_KEYWORDS_H

#include <stddef.h>
#include <string.h>

typedef struct {
  const unsigned char *bytes;
  size_t length;
  size_t anchor; /* offset of the rarest byte, searched with memchr */
} keyword_t;

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
 * Whether the keyword occurs in bytes[0, length). memchr on the rarest byte
 * is fast while that byte is rare; where it is not (dense logs full of `_`
 * and `v`), glibc's memmem, which does not depend on any one byte, takes over.
 */
static inline int contains(const unsigned char *bytes, size_t length, const keyword_t *k) {
  if (k->length == 0) return 1;
  if (length < k->length) return 0;
  const unsigned char anchor_byte = k->bytes[k->anchor];
  const unsigned char *at = bytes + k->anchor;
  const unsigned char *limit = bytes + length - (k->length - k->anchor); /* last place the anchor can be */
  size_t candidates = 0;
  while (at <= limit) {
    const unsigned char *found = memchr(at, anchor_byte, (size_t)(limit - at) + 1);
    if (found == NULL) return 0;
    const unsigned char *start = found - k->anchor;
    if (memcmp(start, k->bytes, k->length) == 0) return 1;
    at = found + 1;
    /* More than one false candidate per 64 bytes: hand the rest to memmem. */
    if (++candidates > 64 && (size_t)(at - bytes) < candidates * 64) {
      size_t from = (size_t)(start + 1 - bytes);
      return memmem(bytes + from, length - from, k->bytes, k->length) != NULL;
    }
  }
  return 0;
}

#endif
