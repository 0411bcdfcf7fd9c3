" syntax/xdml.vim — syntax highlighting for XDML 0.1 (the token classes of grammar/XdmlLexer.g4).
"
" Reserved words are keywords everywhere except right before a `:` (a property key or record
" field may be any word: `{ type: int }`). Contextual words (`where by as from at rehearse with
" new data of every end in to max log it`) are keywords only where the language expects them:
" in a handler head (`on new data of type T`, `on end of s`), or where an operand follows them,
" as two operands never stand side by side in an expression (`every 64`, `to samples;`,
" `max 10 {`, `log "..."`). Everything is a match, not a keyword, so that the order below decides.
if exists('b:current_syntax')
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync minlines=200

" Identifiers, types, calls (most general first: later items win at the same column).
syn match xdmlIdentifier "\<\h\w*\>"
syn match xdmlType "\<\u\w*\l\w*\>"
syn match xdmlConstant "\<\u[A-Z0-9_]*\>"
syn match xdmlCall "\<\h\w*\>\ze\s*("
syn match xdmlBuiltinFunction "\<\%(sum\|mean\|max\|min\|count\|argmax\|shape\|len\|seq\|now\|abs\|sqrt\|exp\|log\|clamp\|zeros\|noise\|read\|write\|exists\|size\|sh\|shell_quote\|probs\|accuracy\|version\|watch\|files\|zmq\|generate\|mlp\|cnn\|linear\|load\)\>\ze\s*("
syn match xdmlBuiltinType "\%(\%(:\|->\|<\|?\)\s*\)\@<=\<\%(int\|float\|f32\|f64\|i16\|i32\|i64\|u8\|u16\|u32\|bool\|string\|path\|duration\|bytes\|bandwidth\|model\)\>"

" Reserved words.
syn match xdmlDeclKeyword "\<\%(import\|const\|param\|site\|link\|stream\|model\|catalog\|policy\|flow\|let\)\>:\@!" nextgroup=xdmlDeclName skipwhite
syn match xdmlDeclKeyword "\<type\>:\@!" nextgroup=xdmlTypeName skipwhite
syn match xdmlDeclKeyword "\<\%(fn\|task\)\>:\@!" nextgroup=xdmlFunction skipwhite
syn match xdmlKeyword "\<\%(on\|if\|else\|for\|until\|return\)\>:\@!"
syn match xdmlStatement "\<\%(emit\|record\|train\|transfer\)\>:\@!"
syn match xdmlOperatorWord "\<\%(and\|or\|not\)\>:\@!"
syn match xdmlBoolean "\<\%(true\|false\)\>:\@!"
syn match xdmlNone "\<none\>:\@!"
syn match xdmlBuiltinType "\<\%(tensor\|list\)\>:\@!"
syn match xdmlMember "\%(\.\s*\)\@<=\h\w*"
syn match xdmlDeclName "\h\w*" contained
syn match xdmlTypeName "\h\w*" contained
syn match xdmlFunction "\h\w*" contained

" Contextual words.
syn match xdmlContextual "\<\%(where\|classified\|by\|as\|from\|at\|new\|data\|of\|every\|end\|in\|to\|max\|log\)\>\%(\s\+\%(\<\%(and\|or\|in\|to\|as\|at\|every\|from\|max\|where\|classified\|rehearse\|with\|by\|of\|else\)\>\)\@![[:alnum:]_"]\)\@="
syn match xdmlContextual "\%(\<on\s\+\)\@<=new\s\+data\s\+of\s\+type\>" nextgroup=xdmlTypeName skipwhite
syn match xdmlContextual "\%(\<on\s\+\)\@<=end\s\+of\>"
syn match xdmlContextual "\%(\<on\s\+\)\@<=stop\>"
" A Python task's body: `= python "module:function"`.
syn match xdmlContextual "\%(=\s*\)\@<=python\ze\s*\""
syn match xdmlContextual "\<classified\s\+by\>"
syn match xdmlContextual "\%(\<for\s\+\h\w*\s\+\)\@<=in\>"
syn match xdmlContextual "\%(^\s*\|\<stream\>.*\)\@<=\<rehearse\ze\s*{"
syn match xdmlContextual "\%(\<policy\s\+\h\w*\s*=\s*\h\w*\s\+\)\@<=with\>"
syn match xdmlIt "\%(\<where\>.*\)\@<=\<it\>:\@!"

" Property keys, record fields, named arguments: any word right before `:`.
syn match xdmlKey "\%(\.\s*\)\@<!\<\h\w*\ze:"

" Numbers: a quantity is a number with its unit and nothing word-like after it.
syn match xdmlNumberError "\<\d\%(_\=\d\)*\%(\.\d\%(_\=\d\)*\)\=\%([eE][+-]\=\d\+\)\=\w*"
syn match xdmlNumber "\<\d\%(_\=\d\)*\>"
syn match xdmlFloat "\<\d\%(_\=\d\)*\%(\.\d\%(_\=\d\)*\%([eE][+-]\=\d\+\)\=\|[eE][+-]\=\d\+\)\w\@!"
syn match xdmlQuantity "\<\d\%(_\=\d\)*\%(\.\d\%(_\=\d\)*\)\=\%(KB/s\|MB/s\|GB/s\|Kbps\|Mbps\|Gbps\|Tbps\|KiB\|MiB\|GiB\|TiB\|PiB\|KB\|MB\|GB\|TB\|PB\|B\|min\|ns\|us\|ms\|s\|h\|d\)\w\@!" contains=xdmlUnit
syn match xdmlUnit "\a\+\%(/s\)\=" contained

" Operators and punctuation.
syn match xdmlOperator "<->\|->\|==\|!=\|<=\|>=\|[-+*/%<>=?]"
syn match xdmlAttach "@\s*\%(\h\w*\)\=" contains=xdmlPolicyName
syn match xdmlPolicyName "\h\w*" contained
syn match xdmlDelimiter "[,;:.]"

" Strings, with escapes and `{expr}` interpolation (nested braces and strings inside).
syn region xdmlString matchgroup=xdmlQuote start=+"+ end=+"+ end=+$+ contains=xdmlEscape,xdmlEscapeError,xdmlInterpolation,xdmlBraceEscape,xdmlLoneBrace
syn match xdmlEscapeError "\\.\=" contained
syn match xdmlEscape "\\\%([ntr\\"]\|u{\x\+}\)" contained
syn match xdmlLoneBrace "}" contained
syn region xdmlInterpolation matchgroup=xdmlInterpolationDelimiter start="{" end="}" contained contains=@xdmlCode,xdmlInterpolationBraces
syn region xdmlInterpolationBraces start="{" end="}" contained transparent contains=@xdmlCode,xdmlInterpolationBraces
syn match xdmlBraceEscape "{{\|}}" contained

" Comments (last: they win over everything starting at the same column).
syn keyword xdmlTodo TODO FIXME XXX NOTE contained
syn region xdmlComment start="/\*" end="\*/" contains=xdmlTodo,@Spell
syn match xdmlComment "//.*$" contains=xdmlTodo,@Spell
syn match xdmlDocComment "///.*$" contains=xdmlTodo,@Spell

syn cluster xdmlCode contains=xdmlIdentifier,xdmlType,xdmlConstant,xdmlCall,xdmlBuiltinFunction,
      \xdmlBuiltinType,xdmlMember,xdmlDeclKeyword,xdmlKeyword,xdmlStatement,xdmlOperatorWord,xdmlBoolean,
      \xdmlNone,xdmlContextual,xdmlIt,xdmlKey,xdmlNumberError,xdmlNumber,xdmlFloat,xdmlQuantity,
      \xdmlOperator,xdmlAttach,xdmlDelimiter,xdmlString,xdmlComment,xdmlDocComment

hi def link xdmlIdentifier NONE
hi def link xdmlType Type
hi def link xdmlTypeName Type
hi def link xdmlBuiltinType Type
hi def link xdmlConstant Constant
hi def link xdmlCall Function
hi def link xdmlFunction Function
hi def link xdmlBuiltinFunction Function
hi def link xdmlMember NONE
hi def link xdmlDeclKeyword Structure
hi def link xdmlDeclName Identifier
hi def link xdmlKeyword Keyword
hi def link xdmlStatement Statement
hi def link xdmlOperatorWord Operator
hi def link xdmlBoolean Boolean
hi def link xdmlNone Constant
hi def link xdmlContextual Keyword
hi def link xdmlIt Special
hi def link xdmlKey Identifier
hi def link xdmlNumberError Error
hi def link xdmlNumber Number
hi def link xdmlFloat Float
hi def link xdmlQuantity Number
hi def link xdmlUnit Special
hi def link xdmlOperator Operator
hi def link xdmlAttach Operator
hi def link xdmlPolicyName Identifier
hi def link xdmlDelimiter Delimiter
hi def link xdmlString String
hi def link xdmlQuote String
hi def link xdmlEscape SpecialChar
hi def link xdmlBraceEscape SpecialChar
hi def link xdmlEscapeError Error
hi def link xdmlLoneBrace Error
hi def link xdmlInterpolationDelimiter Delimiter
hi def link xdmlComment Comment
hi def link xdmlDocComment SpecialComment
hi def link xdmlTodo Todo

let b:current_syntax = 'xdml'
let &cpo = s:cpo_save
unlet s:cpo_save
