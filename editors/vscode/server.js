// server.js — finds the xdmlc executable for the language server. No `vscode` import, so that
// tests/editors/test_vscode_server.js can run it under plain node.
'use strict';
const fs = require('fs');
const path = require('path');

function isExecutableFile(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch (_) {
    return false;
  }
}

// The absolute path of `setting` (the `xdml.server.path` value, default "xdmlc"), or null.
// A setting with a path separator is a file (relative to `cwd`, `~/` to the home directory);
// a bare name is looked up on PATH, as a shell would (with PATHEXT on Windows).
function findServer(setting, env = process.env, cwd = process.cwd()) {
  let name = (typeof setting === 'string' && setting.trim()) || 'xdmlc';
  if (name === '~' || name.startsWith('~/')) name = path.join(env.HOME || '', name.slice(1));
  const exts = process.platform === 'win32'
    ? ['', ...(env.PATHEXT || '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)]
    : [''];
  if (name.includes('/') || name.includes(path.sep)) {
    const file = path.resolve(cwd, name);
    return exts.map((e) => file + e).find(isExecutableFile) || null;
  }
  const dirs = (env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const e of exts) {
      const file = path.resolve(cwd, dir, name + e);
      if (isExecutableFile(file)) return file;
    }
  }
  return null;
}

// How the language client starts the server: `xdmlc lsp`, speaking LSP over stdio.
function serverOptions(command) {
  return { command, args: ['lsp'], transport: 0 /* TransportKind.stdio */ };
}

module.exports = { findServer, serverOptions };
