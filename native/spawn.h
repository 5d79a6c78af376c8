#ifndef NEEVSCAN_SPAWN_H
#define NEEVSCAN_SPAWN_H

#include <node_api.h>

/* Adds spawnPiped and waitExit (native/spawn.c) to the addon's exports, where the C library allows. */
napi_value spawn_init(napi_env env, napi_value exports);

#endif
