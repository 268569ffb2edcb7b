# Sourced by the tests that load pages in Debian's headless Chromium, once they have set WORK and
# defined fail(). `chrome ARGS...` runs it without a profile, network, sandbox or GPU, each call
# with a fresh profile under $WORK and its log in $WORK/chromium.log (CHROME_FLAGS, an array, adds
# flags). `dom_python ARGS...` runs python3 with chart_dom.py (beside this file) importable: it
# reads the DOM that `chrome --dump-dom` writes.
command -v chromium >/dev/null || fail "chromium is not installed (Debian package chromium)"
BROWSER_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

chrome() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run ${CHROME_FLAGS[@]+"${CHROME_FLAGS[@]}"} \
    --user-data-dir="$(mktemp -d "$WORK/chrome-XXXXXX")" "$@" 2>>"$WORK/chromium.log"
}

dom_python() { PYTHONPATH="$BROWSER_LIB_DIR${PYTHONPATH:+:$PYTHONPATH}" python3 "$@"; }
