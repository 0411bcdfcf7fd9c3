" ftplugin/xdml.vim — buffer settings for XDML: comments, indentation, matching pairs.
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
" `///` doc comments first, so `gq` keeps their leader.
setlocal comments=:///,s1:/*,mb:*,ex:*/,://
setlocal formatoptions-=t formatoptions+=croql
setlocal shiftwidth=4 softtabstop=4 expandtab
setlocal matchpairs=(:),{:},[:]
setlocal suffixesadd=.xdml

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< shiftwidth< softtabstop<'
      \ . ' expandtab< matchpairs< suffixesadd<'
