/* The whole-history blob index's log reader (git-log.c): adds readLog() to the addon's exports. */
#ifndef NEEVSCAN_GIT_LOG_H
#define NEEVSCAN_GIT_LOG_H

#include <node_api.h>

napi_value git_log_init(napi_env env, napi_value exports);

#endif
