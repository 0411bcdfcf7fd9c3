# Embed.cmake — writes a text file as a C++ raw string literal (cmake -DIN=... -DOUT=... -P).
file(READ ${IN} text)
get_filename_component(name ${IN} NAME)
file(WRITE ${OUT} "// Generated from report/${name} by report/Embed.cmake: do not edit.\nR\"xdmlpage(${text})xdmlpage\"\n")
