" ftdetect/xdml.vim — XDML data-pipeline files (*.xdml) get the xdml filetype.
autocmd BufRead,BufNewFile *.xdml setfiletype xdml
