/* The `scan --git` pack reader (git-packs.c): adds readPacks() to the addon's exports. */
#ifndef NEEVSCAN_GIT_PACKS_H
#define NEEVSCAN_GIT_PACKS_H

#include <node_api.h>

napi_value git_packs_init(napi_env env, napi_value exports);

#endif
