# EmbedWorker.cmake — writes worker.py as a C++ raw string literal (cmake -DIN=... -DOUT=... -P).
file(READ ${IN} text)
file(WRITE ${OUT} "// Generated from runtime/python/worker.py by EmbedWorker.cmake: do not edit.\nR\"xdmlworker(${text})xdmlworker\"\n")
