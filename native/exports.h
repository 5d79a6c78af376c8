/* Adding the addon's functions to its exports (scan-prefilter.c's init and each part's own *_init). */
#ifndef NEEVSCAN_EXPORTS_H
#define NEEVSCAN_EXPORTS_H

#include <node_api.h>

/* exports[name] = a function calling `callback`; 0 when N-API refused either step. */
static inline int export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

#endif
