// XdmlLexer.g4 — tokens of XDML 0.1 (../shared/spec/LANGUAGE.md §1).
// String interpolation uses lexer modes: '"' enters STRING, '{' inside a string re-enters the
// default mode, and the matching '}' returns. Braces in the default mode push and pop too, so an
// interpolation may itself contain records and nested strings.
lexer grammar XdmlLexer;

channels { DOC }

// Made by compiler/parse/LiteralRuns, never by the lexer: a list literal's run of plain
// literals (`1, 2.5, -3, ...`) folded into one token.
tokens { LITERAL_RUN }

// Reserved words: never identifiers.
IMPORT: 'import'; CONST: 'const'; PARAM: 'param'; SITE: 'site'; LINK: 'link'; TYPE: 'type'; FN: 'fn';
TASK: 'task'; STREAM: 'stream'; MODEL: 'model'; CATALOG: 'catalog'; POLICY: 'policy';
FLOW: 'flow'; ON: 'on'; LET: 'let'; EMIT: 'emit'; RECORD: 'record'; TRAIN: 'train';
TRANSFER: 'transfer'; IF: 'if'; ELSE: 'else'; FOR: 'for'; UNTIL: 'until'; RETURN: 'return';
TRUE: 'true'; FALSE: 'false'; NONE: 'none'; AND: 'and'; OR: 'or'; NOT: 'not';
TENSOR: 'tensor'; LIST: 'list';

// Contextual words: keywords where the grammar expects them, identifiers elsewhere.
WHERE: 'where'; CLASSIFIED: 'classified'; BY: 'by'; AS: 'as'; FROM: 'from'; AT: 'at';
REHEARSE: 'rehearse'; WITH: 'with'; NEW: 'new'; DATA: 'data'; OF: 'of'; EVERY: 'every';
END: 'end'; IN: 'in'; TO: 'to'; MAX: 'max'; LOG: 'log'; IT: 'it'; STOP: 'stop'; PYTHON: 'python';

// A quantity: a number with a unit and nothing word-like after it. Listed before BAD_NUMBER so
// that equal-length matches are quantities; a longer word (`2sec`) becomes BAD_NUMBER.
QUANTITY: (DIGITS | DIGITS '.' DIGITS) UNIT;
fragment UNIT
    : 'ns' | 'us' | 'ms' | 's' | 'min' | 'h' | 'd'
    | 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'PB' | 'KiB' | 'MiB' | 'GiB' | 'TiB' | 'PiB'
    | 'Kbps' | 'Mbps' | 'Gbps' | 'Tbps' | 'KB/s' | 'MB/s' | 'GB/s'
    ;
FLOAT: DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT;
INT: DIGITS;
// A number run into letters (`2sec`, `0x1F`, `1e3ms`): reported by the parser bridge.
BAD_NUMBER: DIGITS ('.' DIGITS)? [A-Za-z_] [A-Za-z0-9_]*;
fragment DIGITS: [0-9] ('_'? [0-9])*;
fragment EXPONENT: [eE] [+-]? [0-9]+;

ID: [A-Za-z_] [A-Za-z0-9_]*;

// Punctuation. Braces nest through the mode stack (see the header comment).
LBRACE: '{' -> pushMode(DEFAULT_MODE);
RBRACE: '}' { if (!modeStack.empty()) popMode(); };
LPAREN: '('; RPAREN: ')'; LBRACK: '['; RBRACK: ']';
BIARROW: '<->'; ARROW: '->';
EQ: '=='; NE: '!='; LE: '<='; GE: '>='; LT: '<'; GT: '>'; ASSIGN: '=';
PLUS: '+'; MINUS: '-'; STAR: '*'; SLASH: '/'; PERCENT: '%';
COMMA: ','; SEMI: ';'; COLON: ':'; DOT: '.'; QUESTION: '?'; AT_SIGN: '@';
CARET: '^';  // only in an interpolation's format (`{name:^10}`, centred)

DQUOTE: '"' -> pushMode(STRING);

DOC_COMMENT: '///' ~[\r\n]* -> channel(DOC);
// Plain comments and white space are skipped: no token is made for them (most of a file).
LINE_COMMENT: '//' ~[\r\n]* -> skip;
BLOCK_COMMENT: '/*' .*? '*/' -> skip;
// Only a '/*' with no '*/' after it: a non-greedy '.*? EOF' would be the longest match for
// every block comment and win over BLOCK_COMMENT.
UNTERMINATED_COMMENT: '/*' (~'*' | '*'+ ~[*/])* '*'* EOF;
WS: [ \t\r\n\u000C]+ -> skip;
// Anything else is one bad character, reported by the parser bridge.
BAD_CHAR: .;

mode STRING;
STR_END: '"' -> popMode;
STR_TEXT: ~["\\{}\r\n]+;
STR_ESCAPE: '\\' ([ntr\\"] | 'u{' [0-9A-Fa-f]+ '}');
STR_BAD_ESCAPE: '\\' ~[\r\n]?;
STR_LBRACE_LIT: '{{';
STR_RBRACE_LIT: '}}';
STR_INTERP: '{' -> pushMode(DEFAULT_MODE);
STR_LONE_RBRACE: '}';
// A line break before the closing quote: strings stay on one line.
STR_NEWLINE: [\r\n] -> popMode;
