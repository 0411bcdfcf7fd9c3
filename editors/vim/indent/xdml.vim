" indent/xdml.vim — brace-based indentation for XDML, with continuation lines.
"
" A line is indented one level per `{ ( [` left open before it; a line that starts with a closer
" goes back one level. A statement or declaration that continues on the next line (the line does
" not end in `; { } ( [ ,` and is not a comment) indents that next line by one more level, e.g.
"     stream labeled: Labeled
"         rehearse { capacity: 4000 };
if exists('b:did_indent')
  finish
endif
let b:did_indent = 1

setlocal indentexpr=XdmlIndent(v:lnum)
setlocal indentkeys=0{,0},0),0],!^F,o,O,e
setlocal nolisp nosmartindent nocindent autoindent
let b:undo_indent = 'setlocal indentexpr< indentkeys< lisp< smartindent< cindent< autoindent<'

if exists('*XdmlIndent')
  finish
endif

" The line with strings and comments blanked out, so their brackets do not count.
function! s:Code(lnum) abort
  let line = getline(a:lnum)
  let line = substitute(line, '"\%([^"\\]\|\\.\)*"', '""', 'g')
  let line = substitute(line, '/\*.\{-}\*/', '', 'g')
  return substitute(line, '//.*$', '', '')
endfunction

function! s:InComment(lnum, col) abort
  return synIDattr(synID(a:lnum, a:col, 1), 'name') =~# 'Comment'
endfunction

" The previous line with code on it (not blank, not only a comment).
function! s:PrevCode(lnum) abort
  let lnum = prevnonblank(a:lnum)
  while lnum > 0 && (s:Code(lnum) =~# '^\s*$' || s:InComment(lnum, indent(lnum) + 1))
    let lnum = prevnonblank(lnum - 1)
  endwhile
  return lnum
endfunction

" Brackets a line leaves open (openers minus closers), not counting the closers that lead it:
" those were already taken into account by the line's own indent.
function! s:Opened(code) abort
  let body = substitute(a:code, '^\s*[})\]]*', '', '')
  return len(substitute(body, '[^{(\[]', '', 'g')) - len(substitute(body, '[^})\]]', '', 'g'))
endfunction

" A line whose statement goes on below it: it does not end in `;`, `{`, `}`, an opener or a comma.
function! s:Continues(code) abort
  let c = substitute(a:code, '\s\+$', '', '')
  return c !=# '' && c !~# '[;{}(\[,]$'
endfunction

" A continuation line: the code line above it continues its statement.
function! s:IsContinuation(lnum) abort
  let before = s:PrevCode(a:lnum - 1)
  return before > 0 && s:Continues(s:Code(before)) && s:Opened(s:Code(before)) == 0
endfunction

" The line of the opener matched by the closer that leads line lnum.
function! s:OpenerOf(lnum) abort
  let save = getpos('.')
  call cursor(a:lnum, 1)
  call search('^\s*\zs[})\]]', 'cW', a:lnum)
  let ch = getline('.')[col('.') - 1]
  let pair = ch ==# '}' ? ['{', '}'] : ch ==# ')' ? ['(', ')'] : ['\[', '\]']
  let found = searchpair(pair[0], '', pair[1], 'bW',
        \ 'synIDattr(synID(line("."), col("."), 1), "name") =~# "String\\|Comment"')
  call setpos('.', save)
  return found
endfunction

function! XdmlIndent(lnum) abort
  let cur = getline(a:lnum)
  if s:InComment(a:lnum, indent(a:lnum) + 1) && cur !~# '^\s*/[/*]'
    " Inside a block comment: align with the text after its `/* ` (a leading `*` under the `*`).
    let start = search('/\*', 'bnW')
    if start > 0
      return indent(start) + (cur =~# '^\s*\*' ? 1 : 3)
    endif
    return -1
  endif
  let prev = s:PrevCode(a:lnum - 1)
  if prev == 0
    return 0
  endif
  let pcode = s:Code(prev)
  let sw = shiftwidth()
  let ind = indent(prev)
  let opened = s:Opened(pcode)
  if opened != 0
    " One level per line, however many brackets it opens: `mlp(hidden: [` ... `]) }`.
    let ind += opened > 0 ? sw : -sw
  elseif s:Continues(pcode)
    if !s:IsContinuation(prev)
      let ind += sw
    endif
  else
    if s:IsContinuation(prev)
      let ind -= sw
    elseif pcode =~# '^\s*[})\]]'
      let opener = s:OpenerOf(prev)
      if opener > 0 && s:IsContinuation(opener)
        let ind -= sw
      endif
    endif
  endif
  if cur =~# '^\s*[})\]]'
    let ind -= sw
  endif
  return max([0, ind])
endfunction
