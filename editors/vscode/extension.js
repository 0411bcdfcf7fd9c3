// extension.js — the XDML extension: starts `xdmlc lsp` for .xdml files when xdmlc is found.
// Syntax highlighting, snippets and editing rules come from package.json and work without it.
'use strict';
const vscode = require('vscode');
const { findServer, serverOptions } = require('./server');

let client = null;
let warned = false;
let output = null;

async function stopServer() {
  if (!client) return;
  const c = client;
  client = null;
  try {
    await c.stop();
  } catch (e) {
    output.appendLine(`xdml: stopping the language server: ${e.message || e}`);
  }
}

async function startServer(context) {
  const config = vscode.workspace.getConfiguration('xdml');
  if (!config.get('server.enabled', true)) return;
  const setting = config.get('server.path', 'xdmlc');
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const command = findServer(setting, process.env, cwd);
  if (!command) {
    output.appendLine(`xdml: '${setting}' not found (PATH: ${process.env.PATH || ''})`);
    if (!warned) {
      warned = true;
      vscode.window.showInformationMessage(
        `XDML: '${setting}' was not found, so only syntax highlighting is on. ` +
        'Put xdmlc on PATH or set "xdml.server.path" for diagnostics and hover.');
    }
    return;
  }
  const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
  const options = { ...serverOptions(command), transport: TransportKind.stdio };
  client = new LanguageClient('xdml', 'XDML language server', options, {
    documentSelector: [{ scheme: 'file', language: 'xdml' }],
    outputChannel: output,
  });
  output.appendLine(`xdml: starting ${command} lsp`);
  try {
    await client.start();
  } catch (e) {
    output.appendLine(`xdml: the language server did not start: ${e.message || e}`);
    client = null;
  }
}

async function activate(context) {
  output = vscode.window.createOutputChannel('XDML');
  context.subscriptions.push(output);
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration(async (event) => {
    if (event.affectsConfiguration('xdml.server')) {
      await stopServer();
      await startServer(context);
    }
  }));
  await startServer(context);
}

function deactivate() {
  return stopServer();
}

module.exports = { activate, deactivate };
