/* Reading the options object the addon's functions take (scan-prefilter.c, and the git readers through blob-batch.h). */
#ifndef NEEVSCAN_OPTIONS_H
#define NEEVSCAN_OPTIONS_H

#include <node_api.h>

/* options[name] when it is a number; `fallback` when it is missing or anything else. */
static inline double number_option(napi_env env, napi_value options, const char *name, double fallback) {
  napi_value value;
  napi_valuetype type;
  double number;
  if (napi_get_named_property(env, options, name, &value) != napi_ok) return fallback;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) return fallback;
  if (napi_get_value_double(env, value, &number) != napi_ok) return fallback;
  return number;
}

#endif
