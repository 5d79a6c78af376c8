/*
 * Starting a git process without fork(). libuv 1.46 (Node 20) forks the whole
 * Node process for every child and waits for its exec: 5-15 ms each for a
 * process of some tens of MB, which a pre-commit scan pays twice (the diff and
 * the blob reader) before it can do anything. posix_spawn shares the parent's
 * memory until the exec (vfork), so the parent waits well under 2 ms.
 *
 *   spawnPiped(file, argv, cwd, pipeStdin) → { pid, stdin, stdout, stderr }
 *     file is looked up on PATH; argv includes argv[0]; the child starts in cwd with the process's environment,
 *     every signal at its default and none blocked (Node ignores SIGPIPE; git must not). stdin is a pipe (its write
 *     end returned) or /dev/null (-1 returned); stdout and stderr are pipes (their read ends returned). Every fd
 *     returned is close-on-exec. Throws an Error whose code is the errno name (ENOENT: no such program) when the
 *     process cannot be started.
 *   waitExit(pid, callback(code, signal)) → undefined: a thread of its own reaps the child (waitpid) and the
 *     callback gets its exit status (or -1) and the number of the signal that ended it (or 0). Until then the
 *     event loop stays alive, as for a child_process child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exports.h"
#include "spawn.h"

#define STDOUT_PIPE_SIZE (1024 * 1024)

extern char **environ;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define HAVE_ADDCHDIR 1
#endif

#ifdef HAVE_ADDCHDIR
static char *string_arg(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text == NULL) return NULL;
  if (napi_get_value_string_utf8(env, value, text, length + 1, &length) != napi_ok || strlen(text) != length) {
    free(text); /* a NUL inside would cut the argument short: refused */
    return NULL;
  }
  return text;
}

static void close_pair(int pair[2]) {
  if (pair[0] >= 0) close(pair[0]);
  if (pair[1] >= 0) close(pair[1]);
  pair[0] = pair[1] = -1;
}

static napi_value errno_error(napi_env env, int code) {
  const char *name = code == ENOENT ? "ENOENT" : code == EACCES ? "EACCES" : code == ENOMEM ? "ENOMEM" : "ESPAWN";
  napi_throw_error(env, name, strerror(code));
  return NULL;
}

static napi_value spawn_piped(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result, number;
  char *file = NULL, *cwd = NULL, **args = NULL;
  uint32_t count = 0;
  bool pipe_stdin = false;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  napi_value returned = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_array_length(env, argv[1], &count) != napi_ok || napi_get_value_bool(env, argv[3], &pipe_stdin) != napi_ok ||
      count == 0) {
    napi_throw_type_error(env, NULL, "spawnPiped(file, argv, cwd, pipeStdin)");
    return NULL;
  }
  file = string_arg(env, argv[0]);
  cwd = string_arg(env, argv[2]);
  args = calloc(count + 1, sizeof(char *));
  bool ok = file != NULL && cwd != NULL && args != NULL;
  for (uint32_t i = 0; ok && i < count; i++) {
    napi_value element;
    ok = napi_get_element(env, argv[1], i, &element) == napi_ok && (args[i] = string_arg(env, element)) != NULL;
  }
  if (!ok) {
    napi_throw_type_error(env, NULL, "spawnPiped: arguments must be strings without NUL");
    goto done;
  }
  if ((pipe_stdin && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    returned = errno_error(env, errno);
    goto done;
  }
  /* A 1 MiB pipe for stdout (best effort): git writes on while Node parses what it read, instead of stopping
   * every 64 KiB until Node comes back for more (a long `git log --raw` ran half again as long into 64 KiB). */
  (void)fcntl(out[0], F_SETPIPE_SZ, STDOUT_PIPE_SIZE);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  if (pipe_stdin) posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int failed = posix_spawnp(&pid, file, &actions, &attributes, args, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  /* The child's ends: it holds its own copies now (or never started). */
  if (in[0] >= 0) close(in[0]);
  close(out[1]);
  close(err[1]);
  in[0] = out[1] = err[1] = -1;
  if (failed != 0) {
    returned = errno_error(env, failed);
    goto done;
  }
  if (napi_create_object(env, &result) != napi_ok) {
    /* No answer to hand over: the child must not outlive it unreaped. Its pipes close below, then it is ended. */
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    napi_throw_error(env, NULL, "spawnPiped: out of memory");
    goto done;
  }
  napi_create_int32(env, pid, &number);
  napi_set_named_property(env, result, "pid", number);
  napi_create_int32(env, in[1], &number);
  napi_set_named_property(env, result, "stdin", number);
  napi_create_int32(env, out[0], &number);
  napi_set_named_property(env, result, "stdout", number);
  napi_create_int32(env, err[0], &number);
  napi_set_named_property(env, result, "stderr", number);
  in[1] = out[0] = err[0] = -1; /* JavaScript owns them */
  returned = result;
done:
  close_pair(in);
  close_pair(out);
  close_pair(err);
  free(file);
  free(cwd);
  if (args != NULL)
    for (uint32_t i = 0; i < count; i++) free(args[i]);
  free(args);
  return returned;
}

typedef struct {
  pid_t pid;
  int code, signal;
  napi_threadsafe_function tsfn;
} waiter_t;

static void *reap(void *arg) {
  waiter_t *waiter = arg;
  int status = 0;
  pid_t got;
  do got = waitpid(waiter->pid, &status, 0);
  while (got < 0 && errno == EINTR);
  waiter->code = got < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  waiter->signal = got >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  napi_threadsafe_function tsfn = waiter->tsfn; /* call_back frees waiter, maybe before the release below */
  if (napi_call_threadsafe_function(tsfn, waiter, napi_tsfn_blocking) != napi_ok) free(waiter);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  return NULL;
}

static void call_back(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  waiter_t *waiter = data;
  if (env != NULL && callback != NULL) {
    napi_value undefined, args[2];
    napi_get_undefined(env, &undefined);
    napi_create_int32(env, waiter->code, &args[0]);
    napi_create_int32(env, waiter->signal, &args[1]);
    napi_call_function(env, undefined, callback, 2, args, NULL);
  }
  free(waiter);
}

static napi_value wait_exit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], name;
  int32_t pid;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &pid) != napi_ok) {
    napi_throw_type_error(env, NULL, "waitExit(pid, callback)");
    return NULL;
  }
  waiter_t *waiter = calloc(1, sizeof(waiter_t));
  if (waiter == NULL) return errno_error(env, ENOMEM);
  waiter->pid = pid;
  napi_create_string_utf8(env, "neevscan:wait-exit", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, call_back, &waiter->tsfn) != napi_ok) {
    free(waiter);
    napi_throw_error(env, NULL, "waitExit: no thread-safe function");
    return NULL;
  }
  pthread_attr_t attributes;
  pthread_t thread;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attributes, 64 * 1024);
  int failed = pthread_create(&thread, &attributes, reap, waiter);
  pthread_attr_destroy(&attributes);
  if (failed != 0) {
    napi_release_threadsafe_function(waiter->tsfn, napi_tsfn_abort);
    free(waiter);
    return errno_error(env, failed);
  }
  return NULL;
}

napi_value spawn_init(napi_env env, napi_value exports) {
  if (!export_function(env, exports, "spawnPiped", spawn_piped) || !export_function(env, exports, "waitExit", wait_exit)) return NULL;
  return exports;
}
#else
/* Without posix_spawn_file_actions_addchdir_np (glibc before 2.29, other C libraries): Node's spawn, as before. */
napi_value spawn_init(napi_env env, napi_value exports) {
  (void)env;
  return exports;
}
#endif
