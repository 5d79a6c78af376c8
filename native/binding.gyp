{
  "targets": [
    {
      "target_name": "scan_prefilter",
      "sources": ["scan-prefilter.c", "git-blobs.c", "git-packs.c", "git-log.c", "spawn.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra"],
      "libraries": ["-lpthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
