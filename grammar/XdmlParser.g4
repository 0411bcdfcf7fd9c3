// XdmlParser.g4 — the syntax of XDML 0.1 (../shared/spec/LANGUAGE.md §§1-6).
// One rule per precedence level (no left recursion), so SLL prediction settles almost every
// decision. Only compiler/parse/ sees this grammar; it builds our own AST from the tree.
parser grammar XdmlParser;

options { tokenVocab = XdmlLexer; }

program: topItem* EOF;
// One expression alone: what the REPL evaluates and `:type` types.
replInput: expr EOF;

topItem
    : importDecl | constDecl | paramDecl | siteDecl | linkDecl | typeDecl | fnDecl | taskDecl
    | streamDecl | modelDecl | catalogDecl | policyDecl | flowDecl
    ;

importDecl: IMPORT (qualifiedName | stringLit) SEMI;
qualifiedName: ident (DOT ident)*;

constDecl: CONST ident (COLON type)? ASSIGN expr SEMI;
// A value set when the flow runs (--set, --params), its default given here (§9).
paramDecl: PARAM ident COLON type ASSIGN expr SEMI;
siteDecl: SITE ident properties SEMI?;
linkDecl: LINK ident (BIARROW | ARROW) ident properties SEMI?;
typeDecl: TYPE ident ASSIGN type typeRefinement? SEMI;
typeRefinement
    : WHERE expr                               # whereRefinement
    | CLASSIFIED BY ident AS stringLit         # classifiedRefinement
    ;
fnDecl: FN ident LPAREN params? RPAREN ARROW type ASSIGN expr SEMI;
// A task's body is a block, or a Python function (`= python "module:function";`, §9).
taskDecl: TASK ident LPAREN params? RPAREN (ARROW type)? policyRef? (block SEMI? | ASSIGN PYTHON stringLit SEMI);
params: param (COMMA param)* COMMA?;
param: ident COLON type;
streamDecl: STREAM ident COLON type (FROM expr)? (AT ident)? (REHEARSE properties)? SEMI;
modelDecl: MODEL ident properties SEMI?;
catalogDecl: CATALOG ident COLON type AT expr SEMI;
policyDecl: POLICY ident (properties | ASSIGN ident (WITH properties)?) SEMI?;
flowDecl: FLOW ident policyRef? LBRACE flowItem* RBRACE SEMI?;

// `{ key: value, ... }`: sites, models, policies, rehearse. Keys may be any word.
properties: LBRACE (property (COMMA property)* COMMA?)? RBRACE;
property: word COLON expr;
policyRef: AT_SIGN (ident | properties);

flowItem: handler | statement;
handler
    : ON NEW DATA OF TYPE ident (IN ident)? (AS ident)? (EVERY expr)? policyRef? block SEMI?  # onNewData
    | ON END OF ident block SEMI?                                                            # onEnd
    | ON STOP block SEMI?                                                                    # onStop
    ;

block: LBRACE statement* RBRACE;
statement
    : LET ident (COLON type)? ASSIGN expr policyRef? SEMI          # letStmt
    | EMIT expr TO ident policyRef? SEMI                           # emitStmt
    | RECORD expr IN ident policyRef? SEMI                         # recordStmt
    | TRAIN ident ON ident policyRef? SEMI                         # trainStmt
    | TRANSFER expr TO ident policyRef? SEMI                       # transferStmt
    | ifStatement                                                  # ifStmt
    | FOR ident IN expr block                                      # forStmt
    | UNTIL expr (MAX expr)? block                                 # untilStmt
    | LOG stringLit policyRef? SEMI                                # logStmt
    | RETURN expr? policyRef? SEMI                                 # returnStmt
    | expr policyRef? SEMI                                         # exprStmt
    ;
ifStatement: IF expr block (ELSE (ifStatement | block))?;

// Types.
type: typeAtom QUESTION*;
typeAtom
    : TENSOR LT ident GT LBRACK dim (COMMA dim)* COMMA? RBRACK   # tensorType
    | LIST LT type GT                                            # listType
    | STREAM LT type GT                                          # streamType
    | CATALOG LT type GT                                         # catalogType
    | MODEL                                                      # modelType
    | LBRACE (fieldType (COMMA fieldType)* COMMA?)? RBRACE        # recordType
    | ident                                                      # namedType
    ;
dim: INT | ident | QUESTION;
fieldType: word COLON type;

// Expressions, lowest precedence first.
expr: orExpr (QUESTION expr COLON expr)?;
orExpr: andExpr (OR andExpr)*;
andExpr: notExpr (AND notExpr)*;
notExpr: NOT notExpr | cmpExpr;
cmpExpr: addExpr (cmpOp addExpr)*;
cmpOp: EQ | NE | LT | LE | GT | GE;
addExpr: mulExpr ((PLUS | MINUS) mulExpr)*;
mulExpr: unaryExpr ((STAR | SLASH | PERCENT) unaryExpr)*;
unaryExpr: MINUS unaryExpr | postfixExpr;
postfixExpr: primary postfix*;
postfix
    : LPAREN (arg (COMMA arg)* COMMA?)? RPAREN     # callSuffix
    | DOT word                                    # fieldSuffix
    | LBRACK slice (COMMA slice)* COMMA? RBRACK   # indexSuffix
    ;
arg: (ident COLON)? expr;
slice: lo=expr? COLON hi=expr? | expr;
primary
    : INT | FLOAT | QUANTITY | BAD_NUMBER | TRUE | FALSE | NONE
    | LITERAL_RUN  // whole elements of a list literal, only there (compiler/parse/LiteralRuns.h)
    | stringLit
    | ident
    | LPAREN expr RPAREN
    | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK
    | LBRACE (fieldInit (COMMA fieldInit)* COMMA?)? RBRACE
    ;
fieldInit: word COLON expr;

stringLit: DQUOTE stringPart* (STR_END | STR_NEWLINE);
// An interpolation's format (LANGUAGE.md §9: `{i:03}`, `{x:>8.2}`): the source text up to the
// '}', read by planformat/TextFormat.h; any tokens here, so a bad format is that reader's error.
textFormat: (~RBRACE)*;
stringPart
    : STR_TEXT | STR_ESCAPE | STR_BAD_ESCAPE | STR_LBRACE_LIT | STR_RBRACE_LIT | STR_LONE_RBRACE
    | STR_INTERP expr (COLON textFormat)? RBRACE
    ;

// Identifiers: contextual words count.
ident
    : ID | WHERE | CLASSIFIED | BY | AS | FROM | AT | REHEARSE | WITH | NEW | DATA | OF
    | EVERY | END | IN | TO | MAX | LOG | IT | STOP | PYTHON
    ;
// Property and field keys: any word, reserved or not.
word
    : ident | IMPORT | CONST | PARAM | SITE | LINK | TYPE | FN | TASK | STREAM | MODEL | CATALOG
    | POLICY | FLOW | ON | LET | EMIT | RECORD | TRAIN | TRANSFER | IF | ELSE | FOR | UNTIL
    | RETURN | TRUE | FALSE | NONE | AND | OR | NOT | TENSOR | LIST
    ;
