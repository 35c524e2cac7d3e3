# porter for Nim: the binding of libporter, an HTTP server engine, with a
# drop-in for std/asynchttpserver and a pull API.

version       = "0.3.0"
author        = "the porter authors"
description   = "An HTTP server engine (libporter.so) for Nim: " &
                "a drop-in for std/asynchttpserver, and a pull API"
license       = "see the porter repository"
installFiles  = @["porter.nim"]
installDirs   = @["porter"]

requires "nim >= 1.6.10"

task test, "Run the tests against libporter.so (PORTER_BUILD, default ../../build; `make all` first)":
  let build = getEnv("PORTER_BUILD", thisDir() & "/../../build")
  let cache = build & "/bindings/nim/nimble"
  for test in ["abi", "porter", "asynchttpserver", "pull"]:
    for mm in ["refc", "orc"]:
      exec "nim c -r --hints:off --mm:" & mm & " --path:" & thisDir() &
           " --passL:-L" & build & " --passL:-Wl,-rpath," & build &
           " --nimcache:" & cache & "/" & test & "_" & mm &
           " -o:" & cache & "/" & test & "_" & mm &
           " tests/test_" & test & ".nim"
