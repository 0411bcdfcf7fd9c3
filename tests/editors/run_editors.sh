#!/bin/sh
# run_editors.sh — runs the editor-support tests (see tests/editors/README.md for what each checks).
#
#   run_editors.sh textmate BUILD_DIR   the TextMate grammar, with vscode-textmate + vscode-oniguruma
#                                       installed by `npm ci` into BUILD_DIR/editors-node (once, from
#                                       package-lock.json), so the source tree is never written
#   run_editors.sh vscode_server        the VS Code extension's xdmlc lookup (editors/vscode/server.js)
#   run_editors.sh vim                  the vim syntax, ftplugin and indent files
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
node=${NODE:-node}
npm=${NPM:-npm}

case "${1:-}" in
  textmate)
    [ $# -eq 2 ] || { echo "usage: $0 textmate BUILD_DIR" >&2; exit 2; }
    cache="$2/editors-node"
    mkdir -p "$cache"
    # Reinstall when the lock file changed since the last install.
    if ! cmp -s "$here/package-lock.json" "$cache/package-lock.json" ||
       [ ! -f "$cache/node_modules/vscode-textmate/package.json" ] ||
       [ ! -f "$cache/node_modules/vscode-oniguruma/release/onig.wasm" ]; then
      cp "$here/package.json" "$here/package-lock.json" "$cache/"
      echo "run_editors: npm ci into $cache"
      "$npm" ci --no-audit --no-fund --prefix "$cache" >&2
    fi
    shared="$root/../shared/examples"
    set -- --modules "$cache/node_modules" --corpus "$root/tests/golden"
    if [ -d "$shared" ]; then
      set -- "$@" "$shared"/*.xdml
    fi
    echo "run_editors: textmate grammar editors/vscode/syntaxes/xdml.tmLanguage.json"
    exec "$node" "$here/test_textmate.js" "$@"
    ;;
  vscode_server)
    echo "run_editors: editors/vscode/server.js (PATH lookup, setting override, missing server)"
    exec "$node" "$here/test_vscode_server.js"
    ;;
  vim)
    vim=${VIM_BIN:-vim}
    command -v "$vim" >/dev/null 2>&1 || { echo "run_editors: '$vim' not found (Debian package vim-nox or vim)" >&2; exit 1; }
    echo "run_editors: editors/vim with $("$vim" --version | head -1)"
    exec python3 "$here/test_vim.py" --vim "$vim"
    ;;
  *)
    echo "usage: $0 textmate BUILD_DIR | vscode_server | vim" >&2
    exit 2
    ;;
esac
