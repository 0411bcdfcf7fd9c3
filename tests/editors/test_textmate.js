// test_textmate.js — checks editors/vscode/syntaxes/xdml.tmLanguage.json with the engine VS Code uses.
//
//   node test_textmate.js [--modules DIR] [--corpus DIR] [extra.xdml ...]
//
// 1. Every example (examples/*.xdml, fixtures/*.xdml, and the files named on the command line)
//    tokenizes without error, no token of a valid file is scoped invalid.*, and every file ends
//    with the rule stack back at the top level (nothing left open).
// 2. Annotated fixtures (fixtures/*.xdml) carry their expectations inline, under the line they test:
//        flow ssx {
//    //  ^^^ tm: entity.name.section.flow
//    //  ^^^ tm: !keyword
//    // <--- tm: storage.type.flow          ('<' and k dashes: columns 0..k-1)
//    Each listed scope must be a dot-segment prefix of a scope of every marked character's token
//    ('!scope': of none of them). `vim:` lines are for test_vim.py and are ignored here.
// 3. --corpus DIR: every .xdml under DIR (e.g. tests/golden) is tokenized too; the files that
//    expect an error (a `// expect: ... error` line) are only checked not to throw, since a
//    stray character or an unclosed brace is exactly what they test.
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
let modules = path.join(__dirname, 'node_modules');
const extra = [];
const corpora = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--modules') modules = args[++i];
  else if (args[i] === '--corpus') corpora.push(args[++i]);
  else extra.push(args[i]);
}
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.xdml') ? [p] : [];
  }).sort();
}
const vsctm = require(path.join(modules, 'vscode-textmate'));
const oniguruma = require(path.join(modules, 'vscode-oniguruma'));

const root = path.resolve(__dirname, '..', '..');
const grammarPath = path.join(root, 'editors', 'vscode', 'syntaxes', 'xdml.tmLanguage.json');
const fixturesDir = path.join(__dirname, 'fixtures');

let failures = 0;
function fail(msg) {
  failures++;
  console.error('FAIL ' + msg);
}

// The annotation syntax: an expectation line is a comment of markers and a list of scopes.
const ANNOTATION = /^\/\/\s*(?:(<-+)|(\s*)(\^+))\s+(tm|vim):\s*(.*)$/;
const ANNOTATION_ANY = /^\/\/\s*(?:<-+|\^+)\s+(?:tm|vim):/;

function parseAnnotations(lines) {
  const checks = [];
  let target = -1;
  lines.forEach((text, i) => {
    const m = ANNOTATION.exec(text);
    if (!m) {
      if (!ANNOTATION_ANY.test(text)) target = i;
      return;
    }
    if (m[4] !== 'tm') return;
    let first, count;
    if (m[1]) {
      first = 0;
      count = m[1].length - 1;
    } else {
      first = text.indexOf('^');
      count = m[3].length;
    }
    for (const want of m[5].trim().split(/\s+/)) {
      checks.push({ line: target, first, count, want, annotation: i });
    }
  });
  return checks;
}

function hasScope(scopes, want) {
  return scopes.some((s) => s === want || s.startsWith(want + '.'));
}

async function main() {
  const wasm = fs.readFileSync(path.join(modules, 'vscode-oniguruma', 'release', 'onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.xdml') return null;
      return vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath);
    },
  });
  const grammar = await registry.loadGrammar('source.xdml');
  if (!grammar) throw new Error('could not load ' + grammarPath);

  const list = (dir) => fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.xdml')).sort().map((f) => path.join(dir, f))
    : [];
  const files = [...list(path.join(root, 'examples')), ...list(fixturesDir), ...extra.map((f) => path.resolve(f))];
  const lenient = new Set();
  const corpusFiles = new Set();
  for (const dir of corpora) {
    for (const f of walk(path.resolve(dir))) {
      files.push(f);
      corpusFiles.add(f);
      if (/^\/\/\s*expect:.*\berror\b/m.test(fs.readFileSync(f, 'utf8'))) lenient.add(f);
    }
  }
  let lineCount = 0;
  let checkCount = 0;

  for (const file of files) {
    const rel = path.relative(process.cwd(), file);
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    let stack = vsctm.INITIAL;
    const tokensOf = [];
    lines.forEach((text, i) => {
      let r;
      try {
        r = grammar.tokenizeLine(text, stack, 1000);
      } catch (e) {
        fail(`${rel}:${i + 1}:1: tokenizing the line threw: ${e.message}`);
        tokensOf.push([]);
        return;
      }
      if (r.stoppedEarly) fail(`${rel}:${i + 1}:1: tokenization stopped early (time limit)`);
      tokensOf.push(r.tokens);
      for (const t of lenient.has(file) ? [] : r.tokens) {
        const bad = t.scopes.find((s) => s.startsWith('invalid.'));
        if (bad) {
          fail(`${rel}:${i + 1}:${t.startIndex + 1}: token '${text.slice(t.startIndex, t.endIndex)}' ` +
               `is scoped ${bad} (scopes: ${t.scopes.join(' ')})`);
        }
      }
      stack = r.ruleStack;
      lineCount++;
    });
    if (stack.depth !== 1 && !lenient.has(file)) {
      fail(`${rel}:${lines.length}:1: the file ends inside a rule (depth ${stack.depth}): ` +
           'something opened (a string, comment, block, declaration) was never closed');
    }

    for (const c of parseAnnotations(lines)) {
      const text = lines[c.line];
      for (let col = c.first; col < c.first + c.count; col++) {
        const tok = tokensOf[c.line].find((t) => t.startIndex <= col && col < t.endIndex);
        const where = `${rel}:${c.line + 1}:${col + 1}`;
        if (!tok) {
          fail(`${where}: no token at this column (annotation on line ${c.annotation + 1})`);
          continue;
        }
        const word = text.slice(tok.startIndex, tok.endIndex);
        const negate = c.want.startsWith('!');
        const want = negate ? c.want.slice(1) : c.want;
        if (hasScope(tok.scopes, want) === negate) {
          fail(`${where}: token '${word}': expected ${negate ? 'no scope ' : 'scope '}${want}, ` +
               `actual: ${tok.scopes.join(' ')}`);
        }
        checkCount++;
      }
    }
  }

  console.log(`test_textmate: ${files.length} files (${lenient.size} with expected errors: tokenized only), ` +
              `${lineCount} lines tokenized, ${checkCount} scope checks (${path.relative(root, grammarPath)})`);
  for (const f of files.filter((f) => !corpusFiles.has(f))) console.log('  ' + path.relative(process.cwd(), f));
  for (const dir of corpora) console.log(`  ${path.relative(process.cwd(), path.resolve(dir))}/**/*.xdml (corpus)`);
  if (failures) {
    console.error(`test_textmate: ${failures} failure(s)`);
    process.exit(1);
  }
  console.log('test_textmate: OK');
}

main().catch((e) => {
  console.error('test_textmate: ' + (e.stack || e));
  process.exit(2);
});
