/* The `scan --git` blob reader (git-blobs.c): adds pipe() and readBlobs() to the addon's exports. */
#ifndef NEEVSCAN_GIT_BLOBS_H
#define NEEVSCAN_GIT_BLOBS_H

#include <node_api.h>

napi_value git_blobs_init(napi_env env, napi_value exports);

#endif
