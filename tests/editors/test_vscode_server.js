// test_vscode_server.js — unit test of editors/vscode/server.js (how the extension finds xdmlc),
// under plain node: no `vscode` module needed. Then extension.js is activated against a stand-in
// `vscode` and language client: one message when xdmlc is missing, `xdmlc lsp` started over stdio
// for file-scheme xdml documents once it is found, a restart when the settings change.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { findServer, serverOptions } = require('../../editors/vscode/server.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdml-server-'));
function makeFile(rel, mode) {
  const file = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, mode);
  return file;
}
const binA = makeFile('a/xdmlc', 0o755);
const binB = makeFile('b/xdmlc', 0o755);
makeFile('noexec/xdmlc', 0o644);
fs.mkdirSync(path.join(tmp, 'dir/xdmlc'), { recursive: true });
const custom = makeFile('tools/my-xdmlc', 0o755);
const PATH = (...dirs) => ({ PATH: dirs.map((d) => path.join(tmp, d)).join(path.delimiter), HOME: tmp });

const cases = [
  ['the first xdmlc on PATH wins', () => assert.strictEqual(findServer('xdmlc', PATH('a', 'b')), binA)],
  ['PATH order is respected', () => assert.strictEqual(findServer('xdmlc', PATH('b', 'a')), binB)],
  ['a file without the executable bit is skipped',
    () => assert.strictEqual(findServer('xdmlc', PATH('noexec', 'b')), binB)],
  ['a directory named xdmlc is skipped', () => assert.strictEqual(findServer('xdmlc', PATH('dir', 'a')), binA)],
  ['an empty or missing setting means xdmlc', () => {
    assert.strictEqual(findServer('', PATH('a')), binA);
    assert.strictEqual(findServer(undefined, PATH('a')), binA);
    assert.strictEqual(findServer('  ', PATH('a')), binA);
  }],
  ['a missing server gives null', () => {
    assert.strictEqual(findServer('xdmlc', PATH('noexec', 'dir')), null);
    assert.strictEqual(findServer('xdmlc', { PATH: '' }), null);
    assert.strictEqual(findServer('xdmlc', {}), null);
    assert.strictEqual(findServer('no-such-xdmlc', PATH('a', 'b')), null);
  }],
  ['an absolute setting overrides PATH', () => assert.strictEqual(findServer(custom, PATH('a')), custom)],
  ['a relative setting is relative to the workspace',
    () => assert.strictEqual(findServer('tools/my-xdmlc', PATH('a'), tmp), custom)],
  ['a ~/ setting is relative to HOME', () => assert.strictEqual(findServer('~/tools/my-xdmlc', PATH()), custom)],
  ['a setting naming a missing or non-executable file gives null', () => {
    assert.strictEqual(findServer(path.join(tmp, 'tools/none'), PATH('a')), null);
    assert.strictEqual(findServer(path.join(tmp, 'noexec/xdmlc'), PATH('a')), null);
  }],
  ['a bare name setting is looked up on PATH', () => assert.strictEqual(findServer('my-xdmlc', PATH('tools')), custom)],
  ['the server runs as `<xdmlc> lsp` over stdio', () =>
    assert.deepStrictEqual(serverOptions('/x/xdmlc'), { command: '/x/xdmlc', args: ['lsp'], transport: 0 })],
  ['server.js does not need the vscode module', () => {
    const src = fs.readFileSync(path.join(__dirname, '../../editors/vscode/server.js'), 'utf8');
    assert.ok(!/require\(['"]vscode/.test(src), 'server.js requires vscode');
  }],
];

const Module = require('module');
async function extensionCase() {
  const log = [];
  let created = null;
  let onConfig = null;
  const settings = { 'server.enabled': true, 'server.path': 'xdmlc' };
  const vscode = {
    window: {
      createOutputChannel: () => ({ appendLine: () => {}, dispose() {} }),
      showInformationMessage: (m) => log.push('info'),
    },
    workspace: {
      getConfiguration: () => ({ get: (k, d) => (k in settings ? settings[k] : d) }),
      onDidChangeConfiguration: (h) => { onConfig = h; return { dispose() {} }; },
    },
  };
  class LanguageClient {
    constructor(id, name, server, client) { created = { server, client }; }
    async start() { log.push('start'); }
    async stop() { log.push('stop'); }
  }
  const load = Module._load;
  Module._load = function (request, ...rest) {
    if (request === 'vscode') return vscode;
    if (request === 'vscode-languageclient/node') return { LanguageClient, TransportKind: { stdio: 0 } };
    return load.call(this, request, ...rest);
  };
  const savedPath = process.env.PATH;
  try {
    const ext = require('../../editors/vscode/extension.js');
    const changed = { affectsConfiguration: (s) => s === 'xdml.server' };
    process.env.PATH = path.join(tmp, 'noexec');
    await ext.activate({ subscriptions: [] });
    await onConfig(changed);
    assert.deepStrictEqual(log, ['info'], 'one message when xdmlc is missing, none the second time');
    process.env.PATH = path.join(tmp, 'a');
    await onConfig(changed);
    assert.deepStrictEqual(created.server, { command: binA, args: ['lsp'], transport: 0 });
    assert.deepStrictEqual(created.client.documentSelector, [{ scheme: 'file', language: 'xdml' }]);
    await onConfig(changed);
    assert.deepStrictEqual(log, ['info', 'start', 'stop', 'start'], 'a settings change restarts the server');
    settings['server.enabled'] = false;
    await onConfig(changed);
    assert.deepStrictEqual(log.slice(4), ['stop'], 'xdml.server.enabled: false stops it');
    await ext.deactivate();
  } finally {
    Module._load = load;
    process.env.PATH = savedPath;
  }
}

(async () => {
  let failed = 0;
  for (const [name, run] of [...cases, ['extension.js: missing server, start, restart, disable', extensionCase]]) {
    try {
      await run();
      console.log(`  ok   ${name}`);
    } catch (e) {
      failed++;
      console.error(`  FAIL ${name}: ${e.message}`);
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`test_vscode_server: ${cases.length + 1 - failed}/${cases.length + 1} cases passed`);
  process.exit(failed ? 1 : 0);
})();
